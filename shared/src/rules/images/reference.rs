//! Container image references (`ghcr.io/acme/app:1.2@sha256:…`) split into registry,
//! repository, tag and digest, the way Docker and containerd read them.
//!
//! The image rules cannot look for a `:` and call what follows the tag: in
//! `registry:5000/app` the colon belongs to the registry's port and there is no tag. The
//! grammar (from the distribution project's `reference` package):
//!
//! - a digest follows `@`;
//! - a tag follows the last `:` after the last `/`;
//! - the first `/`-separated component is a registry when it holds a `.` or a `:`, is
//!   `localhost`, or has an upper-case letter; otherwise the registry is Docker Hub,
//!   `docker.io`, and a one-component repository is in `library/` (`nginx` is
//!   `docker.io/library/nginx`). `index.docker.io` is another name for `docker.io`.
//!
//! Parsing is lenient: it splits the text and does not validate characters, because a
//! rule should judge what an image reference says, not refuse to read a misspelt one.

/// The registry Docker Hub images come from.
pub const DOCKER_HUB: &str = "docker.io";

/// One image reference, with Docker Hub defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageReference {
    /// The registry host, with its port when one is written (`registry:5000`).
    pub registry: String,
    /// The repository path within the registry (`library/nginx`, `acme/app`).
    pub repository: String,
    pub tag: Option<String>,
    /// The digest after `@`, such as `sha256:…` (not validated here; see
    /// [`ImageReference::is_pinned_by_sha256`]).
    pub digest: Option<String>,
}

impl ImageReference {
    /// Reads an image reference; `None` when the text is empty.
    pub fn parse(text: &str) -> Option<ImageReference> {
        let Parts { name, tag, digest } = Parts::of(text)?;
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest)) if is_registry(first) => (first, rest.to_string()),
            _ => (DOCKER_HUB, name.to_string()),
        };
        let registry = if registry == "index.docker.io" { DOCKER_HUB } else { registry };
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        Some(ImageReference {
            registry: registry.to_string(),
            repository,
            tag: tag.map(str::to_string),
            digest: digest.map(str::to_string),
        })
    }

    /// `registry/repository`: the name allow-lists are matched against.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// Whether the digest is a well-formed SHA-256 one: `sha256:` and 64 lower-case hex
    /// digits.
    pub fn is_pinned_by_sha256(&self) -> bool {
        Parts { name: "", tag: self.tag.as_deref(), digest: self.digest.as_deref() }.is_pinned_by_sha256()
    }

    /// Whether the reference floats on `latest`: no digest, and no tag or the tag `latest`.
    /// (With a digest, the runtime pulls the digest and ignores the tag.)
    pub fn floats_on_latest(&self) -> bool {
        Parts { name: "", tag: self.tag.as_deref(), digest: self.digest.as_deref() }.floats_on_latest()
    }
}

/// A reference's text split at its digest and tag, borrowed: what the rules that judge
/// only the tag and digest read, without the copies of a whole [`ImageReference`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parts<'a> {
    /// The registry and repository as written (`ghcr.io/acme/app`, `nginx`).
    pub name: &'a str,
    /// The tag, when one is written and not empty.
    pub tag: Option<&'a str>,
    /// The digest, when one is written and not empty.
    pub digest: Option<&'a str>,
}

impl<'a> Parts<'a> {
    /// Splits an image reference; `None` when the text is empty.
    pub fn of(text: &'a str) -> Option<Parts<'a>> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let (name_and_tag, digest) = match text.split_once('@') {
            Some((name_and_tag, digest)) => (name_and_tag, Some(digest)),
            None => (text, None),
        };
        let last_slash = name_and_tag.rfind('/');
        let (name, tag) = match name_and_tag.rfind(':') {
            Some(colon) if last_slash.is_none_or(|slash| colon > slash) => {
                (&name_and_tag[..colon], Some(&name_and_tag[colon + 1..]))
            }
            _ => (name_and_tag, None),
        };
        Some(Parts { name, tag: tag.filter(|tag| !tag.is_empty()), digest: digest.filter(|digest| !digest.is_empty()) })
    }

    /// [`ImageReference::is_pinned_by_sha256`].
    pub fn is_pinned_by_sha256(&self) -> bool {
        self.digest.and_then(|digest| digest.strip_prefix("sha256:")).is_some_and(|hex| {
            hex.len() == 64 && hex.bytes().all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
        })
    }

    /// [`ImageReference::floats_on_latest`].
    pub fn floats_on_latest(&self) -> bool {
        self.digest.is_none() && self.tag.is_none_or(|tag| tag == "latest")
    }
}

/// Whether the first component of a reference names a registry rather than a Docker Hub
/// user or organisation.
fn is_registry(component: &str) -> bool {
    component.contains(['.', ':']) || component == "localhost" || component.chars().any(|c| c.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn the_borrowed_parts_judge_as_the_whole_reference() {
        let texts = [
            "",
            "  ",
            "nginx",
            "nginx:latest",
            "nginx:",
            "nginx@",
            " nginx:1.2 ",
            "registry:5000/app",
            "registry:5000/app:latest",
            "ghcr.io/acme/app:1.2@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "app@sha256:0123",
            "app:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "app@md5:abc",
            "a/b/c:d:e",
        ];
        for text in texts {
            let whole = ImageReference::parse(text);
            let parts = Parts::of(text);
            assert_eq!(whole.is_some(), parts.is_some(), "{text:?}");
            let (Some(whole), Some(parts)) = (whole, parts) else { continue };
            assert_eq!((whole.tag.as_deref(), whole.digest.as_deref()), (parts.tag, parts.digest), "{text:?}");
            assert_eq!(whole.is_pinned_by_sha256(), parts.is_pinned_by_sha256(), "{text:?}");
            assert_eq!(whole.floats_on_latest(), parts.floats_on_latest(), "{text:?}");
        }
    }

    fn parts(text: &str) -> (String, String, Option<String>, Option<String>) {
        let reference = ImageReference::parse(text).unwrap();
        (reference.registry, reference.repository, reference.tag, reference.digest)
    }

    fn some(text: &str) -> Option<String> {
        Some(text.to_string())
    }

    #[test]
    fn docker_hub_defaults() {
        assert_eq!(parts("nginx"), ("docker.io".into(), "library/nginx".into(), None, None));
        assert_eq!(parts("nginx:1.27"), ("docker.io".into(), "library/nginx".into(), some("1.27"), None));
        assert_eq!(parts("bitnami/redis:7.2"), ("docker.io".into(), "bitnami/redis".into(), some("7.2"), None));
        assert_eq!(parts("docker.io/nginx"), ("docker.io".into(), "library/nginx".into(), None, None));
        assert_eq!(parts("index.docker.io/library/nginx:latest").1, "library/nginx");
        assert_eq!(parts("index.docker.io/nginx").0, "docker.io");
    }

    #[test]
    fn a_port_is_not_a_tag() {
        assert_eq!(parts("registry:5000/app"), ("registry:5000".into(), "app".into(), None, None));
        assert_eq!(parts("registry:5000/team/app:2.1"), ("registry:5000".into(), "team/app".into(), some("2.1"), None));
        assert_eq!(parts("localhost/app"), ("localhost".into(), "app".into(), None, None));
        assert_eq!(parts("[::1]:5000/app:dev"), ("[::1]:5000".into(), "app".into(), some("dev"), None));
    }

    #[test]
    fn digests_with_and_without_tags() {
        let pinned = format!("ghcr.io/acme/app@{DIGEST}");
        assert_eq!(parts(&pinned), ("ghcr.io".into(), "acme/app".into(), None, some(DIGEST)));
        let tagged = format!("ghcr.io/acme/app:1.2@{DIGEST}");
        assert_eq!(parts(&tagged), ("ghcr.io".into(), "acme/app".into(), some("1.2"), some(DIGEST)));
        let with_port = format!("registry:5000/app@{DIGEST}");
        assert_eq!(parts(&with_port), ("registry:5000".into(), "app".into(), None, some(DIGEST)));
        assert!(ImageReference::parse(&pinned).unwrap().is_pinned_by_sha256());
        assert!(!ImageReference::parse("app@sha256:abc").unwrap().is_pinned_by_sha256());
        assert!(!ImageReference::parse(&format!("app@sha512:{}", &DIGEST[7..])).unwrap().is_pinned_by_sha256());
        assert!(!ImageReference::parse(&format!("app@{}", DIGEST.to_uppercase())).unwrap().is_pinned_by_sha256());
    }

    #[test]
    fn latest_detection() {
        let floats = |text: &str| ImageReference::parse(text).unwrap().floats_on_latest();
        assert!(floats("app"));
        assert!(floats("app:latest"));
        assert!(floats("registry:5000/app"));
        assert!(floats("app:"));
        assert!(!floats("app:1.0"));
        assert!(!floats("registry:5000/app:1.0"));
        assert!(!floats(&format!("app@{DIGEST}")));
        assert!(!floats(&format!("app:latest@{DIGEST}")));
    }

    #[test]
    fn empty_and_odd_input() {
        assert_eq!(ImageReference::parse(""), None);
        assert_eq!(ImageReference::parse("   "), None);
        assert_eq!(parts(" nginx ").1, "library/nginx");
        assert_eq!(parts("Registry/app").0, "Registry");
        assert_eq!(ImageReference::parse("ghcr.io/acme/app:1").unwrap().full_name(), "ghcr.io/acme/app");
    }
}
