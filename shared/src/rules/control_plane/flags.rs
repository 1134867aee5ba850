//! The kube-apiserver's command line, read from a pod spec.
//!
//! The API server is recognised wherever a pod spec runs it (a static Pod in
//! `/etc/kubernetes/manifests`, or a Deployment of a hosted control plane): a container
//! whose program is `kube-apiserver` (any path; also `hyperkube kube-apiserver` and a
//! wrapper such as `go-runner … -- kube-apiserver`), or, when the container sets no
//! `command`, whose image is `kube-apiserver` (the image's entrypoint runs it). A command
//! wrapped in a shell (`sh -c "kube-apiserver …"`) is not parsed: its flags live in one
//! string Rampart does not split.
//!
//! Flags are read from `command` and `args` alike, as `--flag=value` and `--flag value`
//! (RULES.md). A bare `--flag` is `true`. A flag given twice takes its last value, except
//! list flags read with [`Flags::list`], which accumulate as the API server's string-slice
//! flags do (`--enable-admission-plugins=A --enable-admission-plugins=B` enables both).

use crate::object::{Container, Object};
use crate::rules::{Cx, Outcome, Violation};

/// One flag as written, with the field path of the item that holds its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    pub name: String,
    /// `None` for a bare `--flag`.
    pub value: Option<String>,
    pub path: String,
}

impl Flag {
    /// The value as the API server reads it: a bare flag is `true`.
    pub fn text(&self) -> &str {
        self.value.as_deref().unwrap_or("true")
    }

    /// The value as a Go boolean (`strconv.ParseBool`); `None` when it is not one.
    pub fn as_bool(&self) -> Option<bool> {
        match self.text() {
            "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
            "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
            _ => None,
        }
    }

    /// The items of a comma-separated value, trimmed, empty ones dropped.
    pub fn items(&self) -> impl Iterator<Item = &str> {
        self.text().split(',').map(str::trim).filter(|item| !item.is_empty())
    }

    /// `--name=value`, as messages show it.
    pub fn shown(&self) -> String {
        format!("--{}={}", self.name, self.text())
    }
}

/// The flags of one command line, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    flags: Vec<Flag>,
}

impl Flags {
    /// Reads flags from the tokens that follow the program, each with its field path.
    /// A token that does not start with `-` is the value of the flag before it when that
    /// flag has no `=`; `-` alone is a value (the audit log's "standard output"). `--`
    /// ends the flags.
    pub fn parse(tokens: &[(String, String)]) -> Flags {
        let mut flags = Vec::new();
        let mut position = 0;
        while position < tokens.len() {
            let (text, path) = &tokens[position];
            position += 1;
            if text == "--" {
                break;
            }
            if !text.starts_with('-') || text == "-" {
                // A stray argument; the API server takes none.
                continue;
            }
            let body = text.trim_start_matches('-');
            let (name, mut value) = match body.split_once('=') {
                Some((name, value)) => (name.to_string(), Some(value.to_string())),
                None => (body.to_string(), None),
            };
            if value.is_none() {
                if let Some((next, _)) = tokens.get(position) {
                    if !next.starts_with('-') || next == "-" {
                        value = Some(next.clone());
                        position += 1;
                    }
                }
            }
            flags.push(Flag { name, value, path: path.clone() });
        }
        Flags { flags }
    }

    /// Every occurrence of a flag, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Flag> + 'a {
        self.flags.iter().filter(move |flag| flag.name == name)
    }

    /// The occurrence that counts: the last one.
    pub fn last(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().rev().find(|flag| flag.name == name)
    }

    /// The flag's value when it is set to something other than the empty string.
    pub fn non_empty(&self, name: &str) -> Option<&Flag> {
        self.last(name).filter(|flag| !flag.text().is_empty())
    }

    /// The items of a list flag over all its occurrences, each with the occurrence that
    /// holds it.
    pub fn list(&self, name: &str) -> Vec<(&str, &Flag)> {
        self.flags
            .iter()
            .filter(|flag| flag.name == name)
            .flat_map(|flag| flag.items().map(move |item| (item, flag)))
            .collect()
    }
}

/// A container that runs the kube-apiserver, and its flags.
#[derive(Debug)]
pub struct ApiServer<'a> {
    pub container: Container<'a>,
    pub flags: Flags,
    /// Where a finding about a missing flag points: the container's `command`, else its
    /// `args`, else the container.
    pub anchor: String,
}

impl ApiServer<'_> {
    /// A violation about a flag that is not set, at the command line.
    pub fn missing(&self, message: impl Into<String>) -> Violation {
        Violation::new(self.anchor.clone(), message)
    }
}

/// The last path component of a program: `/usr/local/bin/kube-apiserver` → `kube-apiserver`.
fn program_name(text: &str) -> &str {
    // Byte by byte: `/` is ASCII, and these texts are short.
    text.bytes().rposition(|byte| byte == b'/').map_or(text, |slash| &text[slash + 1..])
}

/// Whether an image is the kube-apiserver image (`registry.k8s.io/kube-apiserver:v1.31.0`,
/// also the older per-architecture names such as `kube-apiserver-amd64`).
pub fn is_api_server_image(image: &str) -> bool {
    // Byte by byte (`@`, `/` and `:` are ASCII): every container's image is looked at.
    let without_digest = image.bytes().position(|byte| byte == b'@').map_or(image, |at| &image[..at]);
    let name = program_name(without_digest);
    let repository = name.bytes().position(|byte| byte == b':').map_or(name, |colon| &name[..colon]);
    repository == "kube-apiserver"
        || repository
            .strip_prefix("kube-apiserver-")
            .is_some_and(|arch| ["amd64", "arm64", "arm", "ppc64le", "s390x"].contains(&arch))
}

/// Where the API server's own flags start among a container's tokens (`command` then
/// `args`), when the container runs it.
fn flags_start(tokens: &[(String, String)], has_command: bool, image: &str) -> Option<usize> {
    let hyperkube = tokens.first().is_some_and(|(text, _)| program_name(text) == "hyperkube");
    let mut candidates = vec![0];
    if hyperkube {
        candidates.push(1);
    }
    if let Some(separator) = tokens.iter().position(|(text, _)| text == "--") {
        candidates.push(separator + 1);
    }
    for candidate in candidates {
        let Some((text, _)) = tokens.get(candidate) else { continue };
        let subcommand = hyperkube && candidate == 1 && text == "apiserver";
        if program_name(text) == "kube-apiserver" || subcommand {
            return Some(candidate + 1);
        }
    }
    (!has_command && is_api_server_image(image)).then_some(0)
}

/// A cheap first look (no allocation): whether the container names the API server (or
/// hyperkube) anywhere in its command or args, or runs its image. Most containers do not,
/// and are passed over before their flags are read.
pub(crate) fn might_run_api_server(container: &crate::tree::Node) -> bool {
    let named = ["command", "args"]
        .into_iter()
        .flat_map(|field| container.field(field).items())
        .any(|item| item.as_str().is_some_and(|text| matches!(program_name(text), "kube-apiserver" | "hyperkube")));
    named || is_api_server_image(container.field("image").as_str().unwrap_or(""))
}

/// The containers of an object's pod spec that run the kube-apiserver.
pub fn api_servers<'o>(cx: &'o Cx<'_>, object: &'o Object) -> Vec<ApiServer<'o>> {
    // Nine rules ask of every workload: a first look at the container nodes alone, made
    // once per object.
    if !cx.might_run_api_server(object) {
        return Vec::new();
    }
    let Some(pod) = cx.pod_spec(object) else { return Vec::new() };
    pod.containers()
        .filter(|container| might_run_api_server(container.node))
        .filter_map(|container| {
            let mut tokens = Vec::new();
            for field in ["command", "args"] {
                for (index, item) in container.node.field(field).items().iter().enumerate() {
                    tokens.push((item.as_text().unwrap_or_default(), container.path_to(&format!("{field}[{index}]"))));
                }
            }
            let has_command = !container.node.field("command").items().is_empty();
            let image = container.node.field("image").as_str().unwrap_or("");
            let start = flags_start(&tokens, has_command, image)?;
            let anchor = if has_command {
                container.path_to("command")
            } else if !container.node.field("args").items().is_empty() {
                container.path_to("args")
            } else {
                container.path()
            };
            Some(ApiServer { flags: Flags::parse(&tokens[start..]), anchor, container })
        })
        .collect()
}

/// Runs `check` over every kube-apiserver container of an object; not applicable to
/// objects that run none.
pub fn check_api_servers(
    cx: &Cx<'_>,
    object: &Object,
    mut check: impl FnMut(&ApiServer<'_>, &mut Vec<Violation>),
) -> Outcome {
    let servers = api_servers(cx, object);
    if servers.is_empty() {
        return Outcome::NotApplicable;
    }
    let mut violations = Vec::new();
    for server in &servers {
        check(server, &mut violations);
    }
    Outcome::Checked(violations)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse_source, Limits, Source};

    fn tokens(words: &[&str]) -> Vec<(String, String)> {
        words.iter().enumerate().map(|(index, word)| (word.to_string(), format!("args[{index}]"))).collect()
    }

    fn object(text: &str) -> Object {
        let (mut documents, errors) = parse_source(&Source::new("pod.yaml", text), &Limits::default());
        assert!(errors.is_empty(), "{errors:?}");
        Object::from_node(0, 0, documents.remove(0).root)
    }

    #[test]
    fn both_forms_bare_flags_and_the_stdout_dash() {
        let flags = Flags::parse(&tokens(&[
            "--anonymous-auth=false",
            "--audit-log-path",
            "-",
            "--profiling",
            "--authorization-mode",
            "Node,RBAC",
            "stray",
            "--tls-cert-file=",
        ]));
        assert_eq!(flags.last("anonymous-auth").unwrap().as_bool(), Some(false));
        let audit = flags.last("audit-log-path").unwrap();
        assert_eq!((audit.text(), audit.path.as_str()), ("-", "args[1]"));
        assert_eq!(flags.last("profiling").unwrap().as_bool(), Some(true));
        let modes: Vec<&str> = flags.list("authorization-mode").into_iter().map(|(item, _)| item).collect();
        assert_eq!(modes, ["Node", "RBAC"]);
        assert!(flags.last("tls-cert-file").is_some());
        assert!(flags.non_empty("tls-cert-file").is_none());
        assert!(flags.last("stray").is_none());
    }

    #[test]
    fn the_last_occurrence_wins_and_lists_accumulate() {
        let flags = Flags::parse(&tokens(&[
            "--profiling=false",
            "--enable-admission-plugins=NodeRestriction",
            "--profiling=true",
            "--enable-admission-plugins",
            "PodSecurity, ServiceAccount",
        ]));
        let profiling = flags.last("profiling").unwrap();
        assert_eq!((profiling.as_bool(), profiling.path.as_str()), (Some(true), "args[2]"));
        let plugins: Vec<(&str, &str)> =
            flags.list("enable-admission-plugins").into_iter().map(|(item, flag)| (item, flag.path.as_str())).collect();
        assert_eq!(
            plugins,
            [("NodeRestriction", "args[1]"), ("PodSecurity", "args[3]"), ("ServiceAccount", "args[3]")]
        );
    }

    #[test]
    fn go_booleans_and_what_is_not_one() {
        let flags = Flags::parse(&tokens(&["--a=F", "--b=1", "--c=no"]));
        assert_eq!(flags.last("a").unwrap().as_bool(), Some(false));
        assert_eq!(flags.last("b").unwrap().as_bool(), Some(true));
        assert_eq!(flags.last("c").unwrap().as_bool(), None);
    }

    /// The API servers of an object's pod spec, the same whether the object's containers
    /// were listed once for its rules or are looked up again.
    fn servers(object: &Object) -> Vec<Servers> {
        let index = crate::index::Index::build(std::slice::from_ref(object), crate::rules::Mode::Manifests, false);
        let config = crate::config::Config::default();
        let cx = Cx::new(&config, 0, crate::rules::Mode::Manifests, &index, Default::default());
        let found = |cx: &Cx<'_>| -> Vec<Servers> {
            api_servers(cx, object)
                .into_iter()
                .map(|server| Servers { flags: server.flags, anchor: server.anchor, path: server.container.path() })
                .collect()
        };
        let looked_up = found(&cx);
        assert_eq!(found(&cx.for_object(object)), looked_up);
        looked_up
    }

    /// What [`servers`] compares of an [`ApiServer`].
    #[derive(Debug, PartialEq)]
    struct Servers {
        flags: Flags,
        anchor: String,
        path: String,
    }

    #[test]
    fn flags_in_command_and_args_with_their_paths() {
        let pod = object(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command: [kube-apiserver, --anonymous-auth=false]\n    args: [--profiling, 'false']\n",
        );
        let servers = servers(&pod);
        assert_eq!(servers.len(), 1);
        let server = &servers[0];
        assert_eq!(server.anchor, "spec.containers[0].command");
        assert_eq!(server.flags.last("anonymous-auth").unwrap().path, "spec.containers[0].command[1]");
        let profiling = server.flags.last("profiling").unwrap();
        assert_eq!((profiling.path.as_str(), profiling.as_bool()), ("spec.containers[0].args[0]", Some(false)));
    }

    #[test]
    fn the_api_server_is_recognised_by_program_or_image() {
        let recognised = |container: &str| {
            let text = format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cp\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n{container}");
            let pod = object(&text);
            servers(&pod).into_iter().map(|server| server.flags).next()
        };
        let by_path = recognised("        command: [/usr/local/bin/kube-apiserver, --a=1]\n").unwrap();
        assert_eq!(by_path.last("a").unwrap().text(), "1");
        let by_image =
            recognised("        image: registry.k8s.io/kube-apiserver:v1.31.0@sha256:abc\n        args: [--a=2]\n")
                .unwrap();
        assert_eq!(by_image.last("a").unwrap().text(), "2");
        let hyperkube = recognised("        command: [/hyperkube, apiserver, --a=3]\n").unwrap();
        assert_eq!(hyperkube.last("a").unwrap().text(), "3");
        let wrapped = recognised(
            "        command: [/go-runner, --log-file=/var/log/kube-apiserver.log, --, /usr/local/bin/kube-apiserver, --a=4]\n",
        )
        .unwrap();
        assert_eq!(wrapped.last("a").unwrap().text(), "4");
        assert!(wrapped.last("log-file").is_none());
        assert!(recognised("        image: registry.k8s.io/etcd:3.5.15-0\n        command: [etcd, --a=5]\n").is_none());
        // A shell string is not split, and a command replaces the image's entrypoint.
        assert!(recognised("        image: registry.k8s.io/kube-apiserver:v1.31.0\n        command: [sh, -c, 'kube-apiserver --a=6']\n").is_none());
        assert!(recognised("        image: nginx\n        args: [--upstream, kube-apiserver]\n").is_none());
    }

    #[test]
    fn api_server_images() {
        assert!(is_api_server_image("kube-apiserver"));
        assert!(is_api_server_image("registry.k8s.io/kube-apiserver:v1.31.0"));
        assert!(is_api_server_image("k8s.gcr.io/kube-apiserver-amd64:v1.11.0"));
        assert!(is_api_server_image("localhost:5000/kube-apiserver@sha256:0123"));
        assert!(!is_api_server_image("registry.k8s.io/kube-apiserver-proxy:v1"));
        assert!(!is_api_server_image("kube-apiserver.example.com/app:1"));
    }
}
