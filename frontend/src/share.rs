//! Share links: the editor's text carried in the URL fragment, deflated and base64url
//! encoded.
//!
//! A fragment (`#m=…`) is never sent to a server by the browser, so a shared link keeps the
//! playground's promise that manifests never leave the machine, until the person chooses to
//! send the link to someone. The format is raw DEFLATE (RFC 1951) in unpadded URL-safe
//! base64 under the key `m`; inflating is capped so a hostile link cannot exhaust memory.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// The fragment key that carries the manifests.
pub const FRAGMENT_KEY: &str = "m";
/// The fragment key that carries the Policies panel's text, when it has any.
pub const POLICIES_KEY: &str = "p";

/// The most text a share link may inflate to (the engine refuses far less in practice
/// long before this; this only bounds the decompression itself).
pub const MAX_SHARED_BYTES: usize = 8 * 1024 * 1024;

/// Why a share link could not be opened.
#[derive(Debug, PartialEq, Eq)]
pub enum ShareError {
    /// The fragment is not base64url.
    Encoding,
    /// The data is not DEFLATE, or inflates past [`MAX_SHARED_BYTES`].
    Compression,
    /// The inflated bytes are not UTF-8 text.
    Text,
}

impl std::fmt::Display for ShareError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            ShareError::Encoding => "the share link is damaged (its data is not base64url); ask for the link again",
            ShareError::Compression => "the share link is damaged or too large to open; ask for the link again",
            ShareError::Text => "the share link does not hold text; ask for the link again",
        })
    }
}

/// The fragment (with its `#`) that carries `text`.
pub fn fragment(text: &str) -> String {
    format!("#{FRAGMENT_KEY}={}", encode(text))
}

/// The fragment that carries the manifests and, when there are any, the policies.
pub fn fragment_with_policies(text: &str, policies: &str) -> String {
    if policies.trim().is_empty() {
        return fragment(text);
    }
    format!("{}&{POLICIES_KEY}={}", fragment(text), encode(policies))
}

/// Deflates and encodes `text`.
pub fn encode(text: &str) -> String {
    // Level 9: links are made once and read by people, so the smallest link wins.
    URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(text.as_bytes(), 9))
}

/// Decodes and inflates what [`encode`] made.
pub fn decode(encoded: &str) -> Result<String, ShareError> {
    let deflated = URL_SAFE_NO_PAD.decode(encoded.trim()).map_err(|_| ShareError::Encoding)?;
    let bytes = miniz_oxide::inflate::decompress_to_vec_with_limit(&deflated, MAX_SHARED_BYTES)
        .map_err(|_| ShareError::Compression)?;
    String::from_utf8(bytes).map_err(|_| ShareError::Text)
}

/// The shared text of a location hash (`#m=…`, with or without the `#`): `None` when the
/// hash carries no manifests, so an ordinary anchor is left alone.
pub fn from_fragment(hash: &str) -> Option<Result<String, ShareError>> {
    value_of(hash, FRAGMENT_KEY)
}

/// The shared policies of a location hash (`&p=…`), when it carries any.
pub fn policies_from_fragment(hash: &str) -> Option<Result<String, ShareError>> {
    value_of(hash, POLICIES_KEY)
}

fn value_of(hash: &str, key: &str) -> Option<Result<String, ShareError>> {
    let hash = hash.strip_prefix('#').unwrap_or(hash);
    hash.split('&').find_map(|pair| pair.strip_prefix(key).and_then(|rest| rest.strip_prefix('='))).map(decode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_through_a_fragment() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: café ☕\n---\n# second\n";
        let fragment = fragment(text);
        assert!(fragment.starts_with("#m="));
        assert!(fragment[3..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(from_fragment(&fragment), Some(Ok(text.to_string())));
    }

    #[test]
    fn policies_travel_beside_the_manifests_only_when_there_are_any() {
        let policies = "kind: ValidatingAdmissionPolicy\n";
        let fragment = fragment_with_policies("kind: Pod\n", policies);
        assert_eq!(from_fragment(&fragment), Some(Ok("kind: Pod\n".to_string())));
        assert_eq!(policies_from_fragment(&fragment), Some(Ok(policies.to_string())));
        assert_eq!(fragment_with_policies("kind: Pod\n", "  "), super::fragment("kind: Pod\n"));
        assert_eq!(policies_from_fragment(&super::fragment("kind: Pod\n")), None);
    }

    #[test]
    fn repetitive_manifests_compress_well() {
        let text = include_str!("../../examples/insecure-deployment.yaml").repeat(20);
        assert!(encode(&text).len() < text.len() / 10);
    }

    #[test]
    fn other_anchors_are_not_share_links() {
        assert_eq!(from_fragment(""), None);
        assert_eq!(from_fragment("#findings"), None);
        assert_eq!(from_fragment("#mode=dark"), None);
    }

    #[test]
    fn damaged_links_say_so() {
        assert_eq!(from_fragment("#m=%%%"), Some(Err(ShareError::Encoding)));
        assert_eq!(from_fragment("#m=AAAA"), Some(Err(ShareError::Compression)));
    }

    #[test]
    fn inflation_is_bounded() {
        let huge = vec![b'a'; MAX_SHARED_BYTES + 1];
        let bomb = URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(&huge, 9));
        assert_eq!(decode(&bomb), Err(ShareError::Compression));
    }
}
