//! Publisher keys: the public keys a build trusts, and the signing key a publisher holds.

use std::fmt;

use ring::rand::SystemRandom;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};

/// The keys this build trusts: the daicho data publisher's (id `363f45688a360767`). Its private
/// half is never in the repository; a hospital group that publishes its own bundles adds its
/// key in the collector's configuration (`[data] trusted_keys`).
pub const TRUSTED: &[PublicKey] = &[PublicKey([
    0x9e, 0x08, 0x2e, 0xad, 0x39, 0x36, 0x01, 0x2b, 0x77, 0xe2, 0xfc, 0xa1, 0x87, 0xb7, 0x3c, 0xf9,
    0xba, 0x4f, 0xe5, 0xe8, 0xd9, 0x0b, 0xaa, 0xb7, 0x88, 0xa3, 0x29, 0xb2, 0x6d, 0x16, 0xd5, 0xdb,
])];

/// An ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    /// The key from 64 hex digits.
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = from_hex(text.trim())?;
        Some(Self(bytes.try_into().ok()?))
    }

    /// The key as 64 hex digits.
    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }

    /// The short name a bundle's `key` line gives: the first 8 bytes of the key's SHA-256.
    pub fn id(&self) -> String {
        to_hex(&ring::digest::digest(&ring::digest::SHA256, &self.0).as_ref()[..8])
    }

    /// Whether `signature` is this key's ed25519 signature of `message`.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, self.0)
            .verify(message, signature)
            .is_ok()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.id())
    }
}

/// A publisher's ed25519 signing key (PKCS#8, kept as hex in a file only its owner reads).
pub struct SigningKey {
    pair: Ed25519KeyPair,
    pkcs8_hex: String,
}

/// Why a signing key could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The system's random source failed.
    #[error("the system random source failed")]
    Random,
    /// The text is not a hex PKCS#8 ed25519 key.
    #[error(
        "not an ed25519 signing key (expected the hex PKCS#8 text `daicho-bundle keygen` writes)"
    )]
    Malformed,
}

impl SigningKey {
    /// A new random key.
    pub fn generate() -> Result<Self, KeyError> {
        let pkcs8 =
            Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| KeyError::Random)?;
        Self::from_pkcs8(pkcs8.as_ref())
    }

    /// The key from the hex text [`SigningKey::to_hex`] wrote.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        Self::from_pkcs8(&from_hex(text.trim()).ok_or(KeyError::Malformed)?)
    }

    fn from_pkcs8(pkcs8: &[u8]) -> Result<Self, KeyError> {
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|_| KeyError::Malformed)?;
        Ok(Self {
            pair,
            pkcs8_hex: to_hex(pkcs8),
        })
    }

    /// The key as hex PKCS#8 text, for its file.
    pub fn to_hex(&self) -> &str {
        &self.pkcs8_hex
    }

    /// Its public half.
    pub fn public(&self) -> PublicKey {
        let mut key = [0u8; 32];
        key.copy_from_slice(self.pair.public_key().as_ref());
        PublicKey(key)
    }

    /// The ed25519 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair.sign(message).as_ref().to_vec()
    }
}

/// Lower-case hex of `bytes`.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The bytes of an even number of hex digits.
pub(crate) fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_signs_what_its_public_half_verifies_and_reads_back_from_hex() {
        let key = SigningKey::generate().unwrap();
        let sig = key.sign(b"bundle");
        assert!(key.public().verifies(b"bundle", &sig));
        assert!(!key.public().verifies(b"bundlf", &sig));
        let again = SigningKey::from_hex(key.to_hex()).unwrap();
        assert_eq!(again.public(), key.public());
        assert_eq!(
            PublicKey::from_hex(&key.public().to_hex()),
            Some(key.public())
        );
        assert_eq!(key.public().id().len(), 16);
        assert!(SigningKey::from_hex("00ff").is_err());
        assert!(PublicKey::from_hex("zz").is_none());
    }

    #[test]
    fn the_built_in_key_is_the_publishers() {
        assert_eq!(TRUSTED[0].id(), "363f45688a360767");
    }
}
