//! Recognising credentials by name and by shape, for `credential-in-env-literal` and
//! `credential-in-configmap`.
//!
//! Everything here is hand-written scanning over the text, linear in its length: these
//! checks run on every keystroke in the playground, and a regex engine would be a large
//! dependency for a handful of fixed patterns.
//!
//! Names are judged word by word (`DB_PASSWORD`, `db-password`, `dbPassword` and
//! `spring.datasource.password` are all the words `db`/`spring`… and `password`), so
//! `SECRETARY` or `TOKENIZER_MODEL` are not credentials. A name whose last word says it is
//! *about* a credential rather than the credential itself (`TOKEN_URL`, `PASSWORD_FILE`,
//! `SECRET_NAME`, `TOKEN_TTL`) is not one either: the last word is what the value is.

/// Words that are a credential on their own.
const CREDENTIAL_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "passphrase",
    "secret",
    "secrets",
    "token",
    "credential",
    "credentials",
    "creds",
    "apikey",
    "privatekey",
    "accesskey",
    "secretkey",
];

/// Endings that make a glued word a credential (`DBPASSWORD`, `CLIENTSECRET`, `GHTOKEN`).
/// `pass` is not among them: `bypass` and `compass` are not credentials.
const CREDENTIAL_ENDINGS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "credential",
    "credentials",
    "apikey",
    "privatekey",
    "accesskey",
    "secretkey",
];

/// Words before a final `key` that make it no secret: a key that names or finds data
/// (`CACHE_KEY`, `SORT_KEY`, `PARTITION_KEY`, `ROUTING_KEY`), the public half of a key
/// pair (`PUBLIC_KEY`), or a key of a keyboard or a map. Any other name ending in `key`
/// (`AZURE_STORAGE_KEY`, `SPACES_KEY`, `API_KEY`) is read as a key that unlocks something,
/// the way cloud SDKs name them.
#[rustfmt::skip]
const NON_SECRET_KEY_QUALIFIERS: &[&str] = &[
    "cache", "sort", "partition", "routing", "primary", "foreign", "unique", "composite", "public", "pub",
    "shard", "hash", "lookup", "label", "annotation", "config", "map", "dict", "index", "idempotency", "dedup",
    "dedupe", "deduplication", "object", "bucket", "cursor", "row", "range", "group", "message", "metric", "feature",
    "flag", "translation", "i18n", "l10n", "hot", "short", "shortcut", "keyboard", "lock", "header", "query", "param",
    "sticky", "affinity", "distribution", "prefix",
];

/// Words that make a `key` anywhere in the name a credential (`API_KEY_V2`,
/// `PRIVATE_KEY_PASSPHRASE`).
const KEY_QUALIFIERS: &[&str] =
    &["api", "private", "access", "secret", "encryption", "signing", "master", "ssh", "auth"];

/// The public half of an access key pair: `ACCESS_KEY` (or `ACCESS_KEY_ID`) names the key
/// id that goes with a secret access key, as in MinIO's and S3 clients' `ACCESS_KEY` /
/// `SECRET_KEY` pairs. It identifies but does not authenticate, so it is not read as a
/// credential; `SECRET_ACCESS_KEY` and `ACCESS_KEY_SECRET` are.
fn is_public_access_key(words: &[String]) -> bool {
    let length = words.len();
    let ends_access_key = length >= 2 && words[length - 2] == "access" && words[length - 1] == "key";
    let glued = words.last().is_some_and(|last| last == "accesskey");
    (ends_access_key || glued) && !words.iter().any(|word| word == "secret" || word.ends_with("secret"))
}

/// Names that end like a credential but hold an identifier: etcd's
/// `ETCD_INITIAL_CLUSTER_TOKEN` (`--initial-cluster-token`) tells clusters apart and
/// grants nothing.
fn is_identifier_token(words: &[String]) -> bool {
    words.ends_with(&["initial".to_string(), "cluster".to_string(), "token".to_string()])
}

/// Words after `key` that still mean the key itself: `OCI_CLI_KEY_CONTENT`, `SSH_KEY_DATA`,
/// `SIGNING_KEY_PEM`.
const KEY_CONTENT_WORDS: &[&str] = &["content", "contents", "data", "pem"];

/// Last words that describe something about a credential, not the credential: where it
/// is, what it is called, how long it lives, whether it is used.
#[rustfmt::skip]
const DESCRIPTIVE_LAST_WORDS: &[&str] = &[
    "url", "urls", "uri", "endpoint", "host", "hostname", "port", "path", "file", "filename", "dir", "directory",
    "location", "mount", "name", "id", "ref", "user", "username", "ttl", "expiry", "expiration", "expires",
    "lifetime", "timeout", "interval", "duration", "seconds", "secs", "minutes", "mins", "hours", "days", "ms",
    "rotation", "length", "len", "size", "count", "limit", "max", "min", "enabled", "enable", "disabled", "required",
    "type", "kind", "header", "prefix", "suffix", "mode", "policy", "strategy", "pattern", "scope", "scopes",
    "issuer", "audience", "version", "format", "algorithm", "provider", "store", "field",
];

/// Splits a name into lower-case words at non-alphanumeric characters and at camel-case
/// boundaries (`dbPassword`, `APIKey`, `OAUTH2Token`).
pub fn split_words(name: &str) -> Vec<String> {
    let characters: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (position, &character) in characters.iter().enumerate() {
        if !character.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if !current.is_empty() && character.is_uppercase() {
            let previous = characters[position - 1];
            let next_is_lower = characters.get(position + 1).is_some_and(|next| next.is_lowercase());
            if previous.is_lowercase() || previous.is_ascii_digit() || (previous.is_uppercase() && next_is_lower) {
                words.push(std::mem::take(&mut current));
            }
        }
        current.extend(character.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Whether a variable or key name says its value is a credential.
pub fn name_suggests_credential(name: &str) -> bool {
    // Most names are passed over before they are split into words (a few thousand
    // instructions each): every word that can make a credential contains one of these.
    might_name_credential(name) && words_name_credential(name)
}

/// [`name_suggests_credential`], judged on the name's words alone.
fn words_name_credential(name: &str) -> bool {
    let words = split_words(name);
    let Some(last) = words.last() else { return false };
    if DESCRIPTIVE_LAST_WORDS.contains(&last.as_str()) || is_public_access_key(&words) || is_identifier_token(&words) {
        return false;
    }
    if ends_in_key(&words) {
        return true;
    }
    words.iter().enumerate().any(|(position, word)| {
        CREDENTIAL_WORDS.contains(&word.as_str())
            || CREDENTIAL_ENDINGS.iter().any(|ending| word.ends_with(ending))
            || (word == "key" && position > 0 && KEY_QUALIFIERS.contains(&words[position - 1].as_str()))
    })
}

/// Whether an ASCII name holds, in any case, one of the pieces that every credential word
/// and ending contains ([`CREDENTIAL_WORDS`], [`CREDENTIAL_ENDINGS`], and `key` for
/// [`ends_in_key`] and [`KEY_QUALIFIERS`]); a word is a run of the name's letters, so a
/// name without any of them names no credential. Names that are not ASCII are always
/// split (some letters lower-case to ASCII ones: the Kelvin sign to `k`).
fn might_name_credential(name: &str) -> bool {
    const PIECES: [&[u8]; 5] = [b"pass", b"secret", b"token", b"cred", b"key"];
    let bytes = name.as_bytes();
    if !name.is_ascii() {
        return true;
    }
    (0..bytes.len()).any(|start| {
        let rest = &bytes[start..];
        PIECES.iter().any(|piece| rest.len() >= piece.len() && rest[..piece.len()].eq_ignore_ascii_case(piece))
    })
}

/// Whether the name ends in a key that unlocks something: its last word (or the last but
/// one, before `content`, `data` or `pem`) is `key`, after a word that does not make it a
/// key of data ([`NON_SECRET_KEY_QUALIFIERS`]). `KEY` alone is too common a name for a
/// map's key to count.
fn ends_in_key(words: &[String]) -> bool {
    let mut words = words;
    if let [rest @ .., last] = words {
        if KEY_CONTENT_WORDS.contains(&last.as_str()) {
            words = rest;
        }
    }
    match words {
        [.., qualifier, last] if last == "key" => !NON_SECRET_KEY_QUALIFIERS.contains(&qualifier.as_str()),
        _ => false,
    }
}

/// Whether a value, though written literally, holds no credential: empty, a boolean, a
/// file path (handing over a credential as a file is the right way), or a reference to a
/// value kept elsewhere (`$(VAR)`, `${VAR}`, `$VAR`, `{{ .Values.x }}`, `<your-token>`).
pub fn is_harmless_value(value: &str) -> bool {
    let value = strip_quotes(value.trim());
    if value.is_empty() {
        return true;
    }
    let lower = value.to_ascii_lowercase();
    if ["true", "false", "yes", "no", "on", "off", "null", "~", "none", "{}", "[]", "{", "["].contains(&lower.as_str())
    {
        return true;
    }
    let enclosed = |open: &str, close: &str| value.starts_with(open) && value.ends_with(close);
    value.starts_with('/')
        || enclosed("$(", ")")
        || enclosed("${", "}")
        || enclosed("{{", "}}")
        || enclosed("%(", ")s")
        || enclosed("<", ">")
        || is_shell_variable(value)
}

/// `$DB_PASSWORD`: a shell-style reference to another variable. Only upper-case names
/// count, so a literal such as `$ecret` is still read as a value.
fn is_shell_variable(value: &str) -> bool {
    value.strip_prefix('$').is_some_and(|name| {
        name.bytes().any(|byte| byte.is_ascii_uppercase())
            && name.bytes().all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit() || byte == b'_')
    })
}

fn strip_quotes(value: &str) -> &str {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            return &value[1..value.len() - 1];
        }
    }
    value
}

/// Something credential-shaped found in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialShape {
    /// A PEM block whose label ends in `PRIVATE KEY` (or `PRIVATE KEY BLOCK`, for PGP).
    PrivateKey { label: String },
    /// An AWS access key id: `AKIA` (long-term) or `ASIA` (temporary) and 16 more
    /// upper-case letters and digits.
    AwsAccessKeyId,
    /// A GitHub token (`ghp_…`, `gho_…`, `ghu_…`, `ghs_…`, `ghr_…`, `github_pat_…`).
    GitHubToken,
    /// A URL with a password in it: `scheme://user:password@host`.
    PasswordInUrl,
    /// `key = value` or `key: value` where the key names a credential and the value is
    /// literal.
    Assignment { key: String },
}

impl CredentialShape {
    /// What was found, for a message. Never includes the credential itself.
    pub fn describe(&self) -> String {
        match self {
            CredentialShape::PrivateKey { label } => format!("a private key block (BEGIN {label})"),
            CredentialShape::AwsAccessKeyId => "an AWS access key id".to_string(),
            CredentialShape::GitHubToken => "a GitHub token".to_string(),
            CredentialShape::PasswordInUrl => "a URL with an embedded password".to_string(),
            CredentialShape::Assignment { key } => format!("a literal value for \"{key}\""),
        }
    }
}

/// The first credential-shaped thing in a text, if any.
pub fn find_credential(text: &str) -> Option<CredentialShape> {
    if let Some(label) = private_key_label(text) {
        return Some(CredentialShape::PrivateKey { label });
    }
    if has_aws_access_key_id(text) {
        return Some(CredentialShape::AwsAccessKeyId);
    }
    if has_github_token(text) {
        return Some(CredentialShape::GitHubToken);
    }
    if has_password_in_url(text) {
        return Some(CredentialShape::PasswordInUrl);
    }
    credential_assignment(text).map(|key| CredentialShape::Assignment { key })
}

/// The label of the first PEM private key block (`RSA PRIVATE KEY`, `OPENSSH PRIVATE KEY`,
/// `PRIVATE KEY` …). Certificates and public keys are not credentials and pass.
pub fn private_key_label(text: &str) -> Option<String> {
    const BEGIN: &str = "-----BEGIN ";
    // Where `BEGIN` first starts in a text, found from its dashes (most texts have none,
    // and a searcher for the whole of it costs more to set up than a short text to scan).
    let find_begin = |text: &str| {
        let bytes = text.as_bytes();
        let mut from = 0;
        while let Some(dash) = bytes[from..].iter().position(|&byte| byte == b'-') {
            let at = from + dash;
            if bytes[at..].starts_with(BEGIN.as_bytes()) {
                return Some(at);
            }
            from = at + 1;
        }
        None
    };
    let mut rest = text;
    while let Some(start) = find_begin(rest) {
        let after = &rest[start + BEGIN.len()..];
        let end = after.find("-----")?;
        let label = &after[..end];
        if !label.contains('\n') && (label.ends_with("PRIVATE KEY") || label.ends_with("PRIVATE KEY BLOCK")) {
            return Some(label.to_string());
        }
        rest = &after[end..];
    }
    None
}

/// Whether `text` holds `prefix` followed by exactly `length` characters that `allowed`
/// accepts, standing alone (no word character right before or after it).
fn has_token(text: &str, prefix: &str, length: usize, allowed: fn(u8) -> bool) -> bool {
    let bytes = text.as_bytes();
    let is_word = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_';
    text.match_indices(prefix).any(|(start, _)| {
        let body_start = start + prefix.len();
        let body_end = body_start + length;
        start.checked_sub(1).is_none_or(|before| !is_word(bytes[before]))
            && bytes.get(body_start..body_end).is_some_and(|body| body.iter().all(|&byte| allowed(byte)))
            && bytes.get(body_end).is_none_or(|&after| !is_word(after))
    })
}

fn has_aws_access_key_id(text: &str) -> bool {
    let allowed = |byte: u8| byte.is_ascii_uppercase() || byte.is_ascii_digit();
    ["AKIA", "ASIA"].into_iter().any(|prefix| has_token(text, prefix, 16, allowed))
}

fn has_github_token(text: &str) -> bool {
    ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]
        .into_iter()
        .any(|prefix| has_token(text, prefix, 36, |byte| byte.is_ascii_alphanumeric()))
        || has_token(text, "github_pat_", 82, |byte| byte.is_ascii_alphanumeric() || byte == b'_')
}

/// Whether a URL in the text carries `user:password@` with a literal password.
fn has_password_in_url(text: &str) -> bool {
    // Authorities are short; scanning at most this far after each `://` keeps a text full
    // of `://` and no delimiter linear instead of quadratic.
    const LONGEST_AUTHORITY: usize = 512;
    text.match_indices("://").any(|(start, _)| {
        let rest = &text[start + 3..];
        let mut scan_end = rest.len().min(LONGEST_AUTHORITY);
        while !rest.is_char_boundary(scan_end) {
            scan_end -= 1;
        }
        let rest = &rest[..scan_end];
        let authority_end = rest
            .find(|character: char| {
                matches!(character, '/' | '?' | '#' | '"' | '\'' | '<' | '>') || character.is_whitespace()
            })
            .unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        let Some((user_info, _host)) = authority.rsplit_once('@') else { return false };
        let Some((_user, password)) = user_info.split_once(':') else { return false };
        !is_harmless_value(password)
    })
}

/// The key of the first line (or `;`/`&`-separated part of a line, as in connection
/// strings and query strings) that assigns a literal value to a credential-named key:
/// `password=…`, `spring.datasource.password: …`, `"apiKey": "…"`, `--token=…`.
/// Comment lines are skipped.
fn credential_assignment(text: &str) -> Option<String> {
    for line in text.lines() {
        let line = line.trim_start();
        if ["#", "//", ";", "<!--"].iter().any(|marker| line.starts_with(marker)) {
            continue;
        }
        for part in line.split([';', '&']) {
            if let Some(key) = assigned_credential_key(part) {
                return Some(key);
            }
        }
    }
    None
}

fn assigned_credential_key(part: &str) -> Option<String> {
    let part = part.trim();
    let part = part.strip_prefix("- ").unwrap_or(part);
    let part = part.strip_prefix("export ").unwrap_or(part);
    let separator = part.find([':', '='])?;
    let key = part[..separator].trim().trim_matches(['"', '\'']).trim_start_matches('-');
    let key_is_plain = !key.is_empty()
        && key.len() <= 100
        && key.chars().all(|character| character.is_alphanumeric() || matches!(character, '_' | '-' | '.'));
    if !key_is_plain || !name_suggests_credential(key) {
        return None;
    }
    let value = part[separator + 1..].trim_start_matches(['=', ':']).trim().trim_end_matches(',');
    // A YAML block scalar (`password: |`) puts its value on the next lines; a bare
    // indicator is not itself a value.
    let is_block_indicator = matches!(value, "|" | "|-" | "|+" | ">" | ">-" | ">+");
    (!is_block_indicator && !is_harmless_value(value)).then(|| key.to_string())
}

/// Decodes standard (or URL-safe) base64, ignoring whitespace and padding; `None` when
/// the text is not base64.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut decoded = Vec::with_capacity(text.len() / 4 * 3);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' | b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            decoded.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_at_separators_and_camel_case() {
        assert_eq!(split_words("DB_PASSWORD"), ["db", "password"]);
        assert_eq!(split_words("db-password.v2"), ["db", "password", "v2"]);
        assert_eq!(split_words("dbPassword"), ["db", "password"]);
        assert_eq!(split_words("APIKey"), ["api", "key"]);
        assert_eq!(split_words("OAUTH2Token"), ["oauth2", "token"]);
        assert_eq!(split_words("__"), Vec::<String>::new());
    }

    /// The first look at a name ([`might_name_credential`]) passes every name that its
    /// words would judge a credential: names built from every word the judgement knows,
    /// in upper, lower, camel and glued case, with every separator.
    #[test]
    fn the_first_look_passes_every_name_the_words_judge_a_credential() {
        let known: Vec<&str> = [
            CREDENTIAL_WORDS,
            CREDENTIAL_ENDINGS,
            NON_SECRET_KEY_QUALIFIERS,
            KEY_QUALIFIERS,
            KEY_CONTENT_WORDS,
            DESCRIPTIVE_LAST_WORDS,
            &["key", "db", "client", "initial", "cluster", "id", "v2", "Key", "PaSs", "kEy", "TOKENs", "x"],
        ]
        .concat();
        let camel = |word: &str| word[..1].to_uppercase() + &word[1..];
        let mut judged = 0;
        for first in &known {
            for second in &known {
                for third in ["", "key", "content", "token", "url"] {
                    for name in [
                        format!("{first}_{second}_{third}"),
                        format!("{}-{}.{}", first.to_uppercase(), second.to_uppercase(), third.to_uppercase()),
                        format!(
                            "{first}{}{}",
                            camel(second),
                            if third.is_empty() { String::new() } else { camel(third) }
                        ),
                        format!("{first}{second}{third}"),
                        format!("{}{second}", first.to_uppercase()),
                    ] {
                        let by_words = words_name_credential(&name);
                        judged += usize::from(by_words);
                        assert!(!by_words || might_name_credential(&name), "{name} is passed over at the first look");
                    }
                }
            }
        }
        assert!(judged > 10_000, "{judged}");
        // The first look leaves the rest to the words: names it passes may still be no credential.
        assert!(might_name_credential("TOKEN_URL") && !name_suggests_credential("TOKEN_URL"));
        assert!(!might_name_credential("LOG_LEVEL") && !name_suggests_credential("LOG_LEVEL"));
        // A name that is not ASCII is always split.
        assert!(might_name_credential("\u{212A}EY_X"));
    }

    #[test]
    fn credential_names() {
        for name in [
            "PASSWORD",
            "DB_PASSWORD",
            "db-passwd",
            "MYSQL_PASS",
            "dbPassword",
            "DBPASSWORD",
            "CLIENT_SECRET",
            "clientSecret",
            "GITHUB_TOKEN",
            "API_KEY",
            "apikey",
            "X-Api-Key",
            "AWS_SECRET_ACCESS_KEY",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            "AZURE_STORAGE_KEY",
            "AZURE_STORAGE_ACCOUNT_KEY",
            "SPACES_KEY",
            "STRIPE_KEY",
            "OCI_CLI_KEY_CONTENT",
            "SSH_KEY_DATA",
            "api-key-v2",
            "storageKey",
            "PRIVATE_KEY",
            "SECRET_KEY_BASE",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "spring.datasource.password",
            "ENCRYPTION_KEY",
            "SSH_PASSPHRASE",
        ] {
            assert!(name_suggests_credential(name), "{name} should look like a credential");
        }
    }

    #[test]
    fn names_about_credentials_or_merely_similar_are_not_credentials() {
        for name in [
            "TOKEN_URL",
            "TOKEN_ENDPOINT",
            "PASSWORD_FILE",
            "SECRET_NAME",
            "SECRETS_DIR",
            "TOKEN_TTL",
            "PASSWORD_MIN_LENGTH",
            "AWS_ACCESS_KEY_ID",
            "SECRETARY",
            "TOKENIZER_MODEL",
            "MAX_TOKENS",
            "CACHE_KEY",
            "SORT_KEY",
            "PARTITION_KEY",
            "routing.key",
            "PUBLIC_KEY",
            "KEY",
            "AWS_ACCESS_KEY",
            "MINIO_ACCESS_KEY",
            "accessKey",
            "ETCD_INITIAL_CLUSTER_TOKEN",
            "initial-cluster-token",
            "MONKEY",
            "BYPASS_PROXY",
            "PWD",
            "TOKEN_AUTH_ENABLED",
            "API_KEY_HEADER",
            "",
        ] {
            assert!(!name_suggests_credential(name), "{name} should not look like a credential");
        }
    }

    #[test]
    fn harmless_values() {
        for value in [
            "",
            "  ",
            "\"\"",
            "true",
            "False",
            "/var/run/secrets/db",
            "$(DB_PASSWORD)",
            "${DB_PASSWORD}",
            "$DB_PASSWORD",
            "{{ .Values.password }}",
            "<your-token>",
            "null",
        ] {
            assert!(is_harmless_value(value), "{value:?} should be harmless");
        }
        for value in ["hunter2", "s3cr3t!", "$ecret", "'changeme'", "123456"] {
            assert!(!is_harmless_value(value), "{value:?} should count as a credential value");
        }
    }

    #[test]
    fn private_keys_but_not_certificates() {
        let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----\n";
        assert_eq!(find_credential(key), Some(CredentialShape::PrivateKey { label: "RSA PRIVATE KEY".into() }));
        let openssh = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n";
        assert!(matches!(find_credential(openssh), Some(CredentialShape::PrivateKey { .. })));
        let certificate_then_key =
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n";
        assert_eq!(
            find_credential(certificate_then_key),
            Some(CredentialShape::PrivateKey { label: "PRIVATE KEY".into() })
        );
        assert_eq!(find_credential("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), None);
        assert_eq!(find_credential("-----BEGIN PUBLIC KEY-----\nMIIB\n"), None);
    }

    #[test]
    fn cloud_and_forge_tokens() {
        assert_eq!(find_credential("aws_access_key_id = AKIAIOSFODNN7EXAMPLE"), Some(CredentialShape::AwsAccessKeyId));
        assert_eq!(find_credential("key: ASIAIOSFODNN7EXAMPLE\n"), Some(CredentialShape::AwsAccessKeyId));
        assert_eq!(find_credential("AKIAIOSFODNN7EXAMPL"), None, "too short");
        assert_eq!(find_credential("AKIAIOSFODNN7EXAMPLEX"), None, "too long");
        assert_eq!(find_credential("XAKIAIOSFODNN7EXAMPLE"), None, "inside a word");
        assert_eq!(find_credential("akiaiosfodnn7example"), None);
        let github = format!("GH=ghp_{}", "a1B2".repeat(9));
        assert_eq!(find_credential(&github), Some(CredentialShape::GitHubToken));
    }

    #[test]
    fn urls_with_passwords() {
        assert_eq!(find_credential("url: postgres://app:hunter2@db:5432/app"), Some(CredentialShape::PasswordInUrl));
        assert_eq!(find_credential("url: postgres://app@db:5432/app"), None);
        assert_eq!(find_credential("url: postgres://app:${DB_PASSWORD}@db/app"), None);
        assert_eq!(find_credential("repo: git@github.com:acme/app.git"), None);
        assert_eq!(find_credential("see https://example.com/a:b@c"), None);
        let adversarial = "a://".repeat(200_000);
        assert_eq!(find_credential(&adversarial), None);
    }

    #[test]
    fn assignments() {
        let key = |text: &str| match find_credential(text) {
            Some(CredentialShape::Assignment { key }) => Some(key),
            _ => None,
        };
        assert_eq!(key("password=hunter2"), Some("password".into()));
        assert_eq!(key("spring.datasource.password: s3cret\n"), Some("spring.datasource.password".into()));
        assert_eq!(key("  \"apiKey\": \"abc123\",\n"), Some("apiKey".into()));
        assert_eq!(key("Server=db;User Id=app;Password=hunter2;"), Some("Password".into()));
        assert_eq!(key("jdbc:mysql://db/app?user=app&password=hunter2"), Some("password".into()));
        assert_eq!(key("run --token=abc123"), None, "not at the start of a part");
        assert_eq!(key("--token=abc123"), Some("token".into()));
        assert_eq!(key("export DB_PASSWORD=hunter2"), Some("DB_PASSWORD".into()));
        assert_eq!(key("password="), None);
        assert_eq!(key("password: ${DB_PASSWORD}"), None);
        assert_eq!(key("password: |"), None);
        assert_eq!(key("password_file: /run/secrets/db"), None);
        assert_eq!(key("# password=hunter2"), None);
        assert_eq!(key("token_url: https://auth.example.com/token"), None);
        assert_eq!(key("log_level: debug\nport: 8080\n"), None);
    }

    #[test]
    fn base64_decoding() {
        assert_eq!(decode_base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode_base64("aGVs\nbG8").unwrap(), b"hello");
        assert_eq!(decode_base64("").unwrap(), b"");
        assert_eq!(decode_base64("not base64!"), None);
    }
}
