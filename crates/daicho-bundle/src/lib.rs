//! Signed data bundles: what daicho knows about devices, refreshed without a new binary.
//!
//! A bundle is one file holding the IEEE registry, the EOL dates, the known-exploited list and
//! the recognition rules, each with its date, under one ed25519 signature by a publisher key
//! the binary trusts ([`keys::TRUSTED`]). The file is text:
//!
//! ```text
//! daicho-data-bundle 1
//! key 3f2a9c0d11e8b7a4
//! signature <128 hex digits: ed25519 over every byte after the blank line>
//!
//! {"serial": 3, "created_at": "…", "datasets": [{"name": "ieee-registry", …}]}
//! ```
//!
//! [`signed::open`] refuses a file that is not a bundle, unsigned, signed by a key not trusted,
//! tampered (bad signature) or inconsistent (a data set whose SHA-256 is not its content's);
//! [`store::Store::install`] also refuses a bundle not newer (by serial) than the installed one,
//! and keeps the previous bundle for [`store::Store::rollback`].

pub mod keys;
pub mod manifest;
pub mod signed;
pub mod store;

pub use keys::{PublicKey, SigningKey};
pub use manifest::{DataSet, DataSetName, Manifest};
pub use signed::{BundleError, open, seal};
pub use store::{InstallError, Installed, Store};
