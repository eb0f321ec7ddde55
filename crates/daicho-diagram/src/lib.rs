//! The network diagram for BCP check 1-1 (ネットワーク構成図): a [`Network`] (subnets, routers
//! and their links, switches and their ports, devices by role and 設置場所, marks, remote
//! maintenance paths) laid out on an A3 or A4 landscape page ([`layout()`]) and drawn as SVG
//! ([`render_svg`]) or PDF ([`render_pdf`], the text as outlines of a system Japanese font).
//!
//! Nothing here touches the network or the ledger: the caller fills the model.

pub mod drawing;
pub mod font;
pub mod layout;
pub mod model;
pub mod pdf;
pub mod svg;
pub mod text;

pub use drawing::{Drawing, Paper};
pub use font::{FontError, JapaneseFont};
pub use layout::layout;
pub use model::{
    Device, DeviceRef, Link, LinkEvidence, Network, RemotePath, Role, Router, Subnet, Switch,
    SwitchPort,
};
pub use pdf::render_pdf;
pub use svg::render_svg;
