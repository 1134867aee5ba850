//! Unsubscribe links: `/unsubscribe?token=<subscription id>.<HMAC-SHA256 of it, hex>`. The
//! link works without a login (it is clicked from a mail client), so the token itself is
//! the authority: signed with a key derived from the server's secret key, it cannot be
//! made for another subscription, and a changed character makes it fail.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::secrets::SecretBox;

/// What the signing key is derived for (see [`SecretBox::derive_key`]).
const PURPOSE: &str = "unsubscribe-links";

/// Signs and checks unsubscribe tokens. `Debug` never shows the key.
#[derive(Clone)]
pub struct UnsubscribeTokens {
    key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for UnsubscribeTokens {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("UnsubscribeTokens(<key>)")
    }
}

impl UnsubscribeTokens {
    pub fn new(secrets: &SecretBox) -> UnsubscribeTokens {
        UnsubscribeTokens { key: secrets.derive_key(PURPOSE) }
    }

    fn mac(&self, subscription_id: i64) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.as_slice()).expect("HMAC takes a key of any length");
        mac.update(format!("unsubscribe:{subscription_id}").as_bytes());
        mac
    }

    /// The token for a subscription.
    pub fn token(&self, subscription_id: i64) -> String {
        format!("{subscription_id}.{}", hex::encode(self.mac(subscription_id).finalize().into_bytes()))
    }

    /// The subscription a token names, if it was signed with this key (checked in constant
    /// time); `None` for anything else.
    pub fn verify(&self, token: &str) -> Option<i64> {
        let (id, signature) = token.trim().split_once('.')?;
        let subscription_id: i64 = id.parse().ok()?;
        let signature = hex::decode(signature).ok()?;
        self.mac(subscription_id).verify_slice(&signature).ok()?;
        Some(subscription_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_for_their_subscription_only() {
        let tokens = UnsubscribeTokens::new(&SecretBox::from_key(&[3; 32]));
        let token = tokens.token(42);
        assert!(token.starts_with("42."), "{token}");
        assert_eq!(tokens.verify(&token), Some(42));
        // Another id with the same signature, a changed signature, garbage.
        let signature = token.split_once('.').unwrap().1;
        assert_eq!(tokens.verify(&format!("43.{signature}")), None);
        let mut tampered = token.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(tokens.verify(std::str::from_utf8(&tampered).unwrap()), None);
        for bad in ["", "42", "42.", "x.00", "42.zz", "42.é0"] {
            assert_eq!(tokens.verify(bad), None, "{bad}");
        }
        // A link signed before hex and key wiping came from crates still unsubscribes.
        let fixture = SecretBox::load(
            Some("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
            std::path::Path::new("/nonexistent"),
        )
        .unwrap();
        let sent = "42.b0c92103a8f44d97030ab1e5131b4e477d38387b1739b0289c8dc940d0f08bdc";
        assert_eq!(UnsubscribeTokens::new(&fixture).token(42), sent);
        assert_eq!(UnsubscribeTokens::new(&fixture).verify(sent), Some(42));
        // Another server's key.
        assert_eq!(UnsubscribeTokens::new(&SecretBox::from_key(&[4; 32])).verify(&token), None);
    }
}
