//! Secrets at rest: cluster credentials are sealed with AES-256-GCM before they reach the
//! database, so a copy of the database (a backup, a stolen SQLite file) holds no token.
//!
//! The key comes from `RAMPART_SECRET_KEY` (64 hex characters) or from a key file,
//! created on first start with mode 0600. Each sealed value is a random 96-bit nonce
//! followed by the ciphertext and its tag; the cluster's id is bound in as associated
//! data, so a sealed value copied onto another cluster's row does not open.
//!
//! Other secrets the server needs (the key that signs unsubscribe links) are derived from
//! the same key, one per purpose ([`SecretBox::derive_key`]): one key to back up.
//!
//! Key material is wiped from memory when dropped (`zeroize`: the key, derived keys, the
//! key's hex text, and the cipher's key schedule through the AEAD's own `zeroize` feature).
//! The module also holds the small crypto helpers the rest of the server shares: random
//! tokens ([`random_hex`]) and constant-time equality ([`same_secret`]).

use std::path::{Path, PathBuf};

use aes_gcm::aead::rand_core::RngCore;
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

const NONCE_LEN: usize = 12;

/// The key that seals and opens secrets. `Debug` never shows it.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
    /// The key itself, from which purpose keys are derived.
    key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("SecretBox(<key>)")
    }
}

/// Why the key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("RAMPART_SECRET_KEY must be 64 hex characters (32 bytes), such as the output of `openssl rand -hex 32`")]
    BadKey,
    #[error("the key file {path} must hold 64 hex characters; restore it, or remove it to make a new key (credentials sealed with the old key are then lost)")]
    BadKeyFile { path: PathBuf },
    #[error("cannot read or create the key file {path}")]
    KeyFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A sealed value did not open: wrong key, another row's value, or tampering.
#[derive(Debug, thiserror::Error)]
#[error("a sealed secret did not open — was RAMPART_SECRET_KEY or the key file changed?")]
pub struct OpenFailed;

/// 64 hex characters (either case), surrounding whitespace ignored, as 32 bytes.
fn parse_hex_key(text: &str) -> Option<Zeroizing<[u8; 32]>> {
    let mut key = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(text.trim(), key.as_mut_slice()).ok()?;
    Some(key)
}

/// Whether two secrets (tokens, CSRF tokens) are equal, in a time that does not depend on
/// where they first differ. Their lengths are not secret.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

impl SecretBox {
    pub fn from_key(key: &[u8; 32]) -> SecretBox {
        SecretBox { cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)), key: Zeroizing::new(*key) }
    }

    /// A key for one purpose (`unsubscribe-links`), derived from this one with
    /// HMAC-SHA256 over `rampart key for: <purpose>`: knowing it reveals neither this key
    /// nor another purpose's key. (HKDF-Expand would be HMAC-SHA256 too, over the label
    /// and a counter byte: a different key, so every unsubscribe link already sent would
    /// stop working; the label keeps the derivation the links were signed with.)
    pub fn derive_key(&self, purpose: &str) -> Zeroizing<[u8; 32]> {
        let mut mac =
            <Hmac<sha2::Sha256> as Mac>::new_from_slice(self.key.as_slice()).expect("HMAC takes a key of any length");
        mac.update(b"rampart key for: ");
        mac.update(purpose.as_bytes());
        Zeroizing::new(mac.finalize().into_bytes().into())
    }

    /// The key given in hex, else the one in the key file, created when missing.
    pub fn load(hex_key: Option<&str>, key_file: &Path) -> Result<SecretBox, KeyError> {
        if let Some(hex_key) = hex_key {
            return parse_hex_key(hex_key).map(|key| SecretBox::from_key(&key)).ok_or(KeyError::BadKey);
        }
        let io_error = |source| KeyError::KeyFile { path: key_file.to_path_buf(), source };
        match std::fs::read_to_string(key_file).map(Zeroizing::new) {
            Ok(text) => parse_hex_key(&text)
                .map(|key| SecretBox::from_key(&key))
                .ok_or_else(|| KeyError::BadKeyFile { path: key_file.to_path_buf() }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                if let Some(directory) = key_file.parent().filter(|parent| !parent.as_os_str().is_empty()) {
                    std::fs::create_dir_all(directory).map_err(io_error)?;
                }
                let key: Zeroizing<[u8; 32]> = Zeroizing::new(Aes256Gcm::generate_key(OsRng).into());
                write_private(key_file, &Zeroizing::new(hex::encode(key.as_slice()))).map_err(io_error)?;
                tracing::info!(path = %key_file.display(), "created the key that encrypts cluster credentials; back it up");
                Ok(SecretBox::from_key(&key))
            }
            Err(error) => Err(io_error(error)),
        }
    }

    /// Seals a secret for one row (`context`, such as `cluster:7`).
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Vec<u8> {
        let nonce = Aes256Gcm::generate_nonce(OsRng);
        let ciphertext = self
            .cipher
            .encrypt(&nonce, Payload { msg: plaintext, aad: context.as_bytes() })
            .expect("AES-GCM seals any message of sane length");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// Opens what [`seal`](Self::seal) sealed for the same context.
    pub fn open(&self, sealed: &[u8], context: &str) -> Result<Vec<u8>, OpenFailed> {
        if sealed.len() < NONCE_LEN {
            return Err(OpenFailed);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: context.as_bytes() })
            .map_err(|_| OpenFailed)
    }
}

/// `len` random bytes from the operating system, hex: tokens, session ids, nonces of the
/// single sign-on flow, names that must not collide.
pub fn random_hex(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Writes a new file readable by its owner only.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key, and what the implementation before this module used crates for hex,
    /// constant-time equality and wiping sealed and derived with it (checked independently
    /// with Python's `cryptography`): stored values and links already sent must still open.
    const FIXTURE_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const FIXTURE_SEALED: &str = "21f6668734bea006df8f90cf2a0a07adfcf06c9076cbb062b09ff258604f4b3ea4e84833247d0c36a48509a5ca4ec15a5abaa28670aa64b618634d16bc59ba7f27610b817ef4ccece4929509fa627b89c94d";
    const FIXTURE_PLAINTEXT: &[u8] = b"kubeconfig: a token sealed before the crates took over";
    const FIXTURE_UNSUBSCRIBE_KEY: &str = "4ab51a012e15a3faa343cba863c406fe9e7ed1991d226a6a8eabc23684f623cc";

    #[test]
    fn values_sealed_before_still_open_and_derived_keys_are_unchanged() {
        let sealed = hex::decode(FIXTURE_SEALED).unwrap();
        let from_setting = SecretBox::load(Some(FIXTURE_KEY), Path::new("/nonexistent/secret.key")).unwrap();
        assert_eq!(from_setting.open(&sealed, "cluster:7").unwrap(), FIXTURE_PLAINTEXT);
        assert!(from_setting.open(&sealed, "cluster:8").is_err());
        assert_eq!(hex::encode(from_setting.derive_key("unsubscribe-links").as_slice()), FIXTURE_UNSUBSCRIBE_KEY);
        // A key file as the server writes it (hex and a newline), and one in capitals.
        let directory = std::env::temp_dir().join(format!("rampart-key-fixture-{}", random_hex(6)));
        std::fs::create_dir_all(&directory).unwrap();
        for (name, text) in [("lower.key", format!("{FIXTURE_KEY}\n")), ("upper.key", FIXTURE_KEY.to_uppercase())] {
            std::fs::write(directory.join(name), text).unwrap();
            let from_file = SecretBox::load(None, &directory.join(name)).unwrap();
            assert_eq!(from_file.open(&sealed, "cluster:7").unwrap(), FIXTURE_PLAINTEXT, "{name}");
        }
        std::fs::remove_dir_all(directory).unwrap();
    }

    #[test]
    fn keys_must_be_64_hex_characters() {
        for bad in ["", "abc", &"ab".repeat(31), &"ab".repeat(33), &format!("{}zz", "ab".repeat(31)), &"é".repeat(32)]
        {
            assert!(matches!(SecretBox::load(Some(bad), Path::new("/nonexistent")), Err(KeyError::BadKey)), "{bad}");
        }
        assert!(SecretBox::load(Some(&format!("  {FIXTURE_KEY}\n")), Path::new("/nonexistent")).is_ok());
    }

    #[test]
    fn secrets_compare_equal_only_when_equal() {
        assert!(same_secret("csrf-token-1", "csrf-token-1"));
        assert!(!same_secret("csrf-token-1", "csrf-token-2"));
        assert!(!same_secret("csrf-token-1", "csrf-token-10"));
        assert!(!same_secret("", "x"));
        assert!(same_secret("", ""));
    }

    #[test]
    fn sealed_values_open_only_with_their_key_and_context() {
        let secret_box = SecretBox::from_key(&[7; 32]);
        let sealed = secret_box.seal(b"token-123", "cluster:1");
        assert!(!sealed.windows(9).any(|window| window == b"token-123"));
        assert_eq!(secret_box.open(&sealed, "cluster:1").unwrap(), b"token-123");
        assert!(secret_box.open(&sealed, "cluster:2").is_err());
        assert!(SecretBox::from_key(&[8; 32]).open(&sealed, "cluster:1").is_err());
        assert_ne!(sealed, secret_box.seal(b"token-123", "cluster:1"), "a fresh nonce each time");
    }

    #[test]
    fn random_hex_is_fresh_hex_of_the_length_asked() {
        assert_eq!(random_hex(32).len(), 64);
        assert!(random_hex(8).bytes().all(|byte| byte.is_ascii_hexdigit() && !byte.is_ascii_uppercase()));
        assert_ne!(random_hex(16), random_hex(16));
    }

    #[test]
    fn derived_keys_differ_by_purpose_and_by_key() {
        let secret_box = SecretBox::from_key(&[7; 32]);
        let links = secret_box.derive_key("unsubscribe-links");
        assert_eq!(links, secret_box.derive_key("unsubscribe-links"));
        assert_ne!(links, secret_box.derive_key("another purpose"));
        assert_ne!(links, SecretBox::from_key(&[8; 32]).derive_key("unsubscribe-links"));
        assert_ne!(*links, [7; 32]);
    }

    #[test]
    fn the_key_file_is_created_private_and_read_back() {
        let directory = std::env::temp_dir().join(format!("rampart-key-{}", random_hex(6)));
        let path = directory.join("secret.key");
        let first = SecretBox::load(None, &path).unwrap();
        let sealed = first.seal(b"x", "c");
        let second = SecretBox::load(None, &path).unwrap();
        assert_eq!(second.open(&sealed, "c").unwrap(), b"x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert!(matches!(SecretBox::load(Some("abc"), &path), Err(KeyError::BadKey)));
        assert!(SecretBox::load(Some(&"ab".repeat(32)), &path).is_ok());
        std::fs::remove_dir_all(directory).unwrap();
    }
}
