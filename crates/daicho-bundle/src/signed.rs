//! The bundle file: three header lines, a blank line, the manifest JSON; sealed and opened.

use crate::keys::{PublicKey, SigningKey, from_hex, to_hex};
use crate::manifest::Manifest;

/// The first line of every bundle.
const MAGIC: &str = "daicho-data-bundle 1";

/// Why a file is not a bundle this build accepts. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// Not a bundle at all.
    #[error("not a daicho data bundle (the first line must be `{MAGIC}`)")]
    NotABundle,
    /// No `key`/`signature` lines.
    #[error(
        "the bundle is not signed; only bundles signed by a trusted publisher key are installed"
    )]
    Unsigned,
    /// Signed by a key this build does not trust.
    #[error(
        "the bundle is signed by key {key_id}, which is not trusted (trusted: {trusted}); add the publisher's public key to [data] trusted_keys only if you know whose it is"
    )]
    UnknownKey {
        /// The key the bundle names.
        key_id: String,
        /// The trusted keys' ids.
        trusted: String,
    },
    /// The signature does not match the content: changed after signing, or corrupt.
    #[error(
        "the bundle's signature does not match its content: it was changed after signing or is corrupt"
    )]
    BadSignature,
    /// Signed, but its content is not a valid manifest.
    #[error("the bundle's content is not valid: {0}")]
    Corrupt(String),
}

/// The bundle file of `manifest`, signed by `key`.
pub fn seal(manifest: &Manifest, key: &SigningKey) -> Vec<u8> {
    let payload = serde_json::to_vec(manifest).expect("a manifest serialises");
    let signature = key.sign(&payload);
    let mut out = format!(
        "{MAGIC}\nkey {}\nsignature {}\n\n",
        key.public().id(),
        to_hex(&signature)
    )
    .into_bytes();
    out.extend_from_slice(&payload);
    out
}

/// The manifest of bundle `bytes`, when a key of `trusted` signed exactly these bytes and every
/// data set is intact.
pub fn open(bytes: &[u8], trusted: &[PublicKey]) -> Result<Manifest, BundleError> {
    let (magic, rest) = line(bytes).ok_or(BundleError::NotABundle)?;
    if magic != MAGIC {
        return Err(BundleError::NotABundle);
    }
    let (key_line, rest) = line(rest).ok_or(BundleError::Unsigned)?;
    let (sig_line, rest) = line(rest).ok_or(BundleError::Unsigned)?;
    let (Some(key_id), Some(sig_hex)) = (
        key_line.strip_prefix("key "),
        sig_line.strip_prefix("signature "),
    ) else {
        return Err(BundleError::Unsigned);
    };
    let (blank, payload) = line(rest).ok_or(BundleError::BadSignature)?;
    if !blank.is_empty() {
        return Err(BundleError::Corrupt(
            "no blank line after the signature".into(),
        ));
    }
    let key = trusted
        .iter()
        .find(|k| k.id() == key_id.trim())
        .ok_or_else(|| BundleError::UnknownKey {
            key_id: key_id.trim().to_owned(),
            trusted: trusted
                .iter()
                .map(PublicKey::id)
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    let signature = from_hex(sig_hex.trim()).ok_or(BundleError::BadSignature)?;
    if !key.verifies(payload, &signature) {
        return Err(BundleError::BadSignature);
    }
    let manifest: Manifest =
        serde_json::from_slice(payload).map_err(|e| BundleError::Corrupt(e.to_string()))?;
    for (i, d) in manifest.datasets.iter().enumerate() {
        if !d.is_intact() {
            return Err(BundleError::Corrupt(format!(
                "data set {} does not match its SHA-256",
                d.name
            )));
        }
        if manifest.datasets[..i].iter().any(|e| e.name == d.name) {
            return Err(BundleError::Corrupt(format!(
                "data set {} appears twice",
                d.name
            )));
        }
    }
    Ok(manifest)
}

/// The first line of `bytes` (without its `\n`) and the rest, when there is a `\n`.
fn line(bytes: &[u8]) -> Option<(&str, &[u8])> {
    let end = bytes.iter().position(|&b| b == b'\n')?;
    Some((std::str::from_utf8(&bytes[..end]).ok()?, &bytes[end + 1..]))
}
