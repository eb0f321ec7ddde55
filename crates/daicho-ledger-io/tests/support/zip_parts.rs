//! The parts of a ZIP file (an XLSX workbook) read back as text. rust_xlsxwriter deflates the
//! parts, and calamine does not expose the XML, so the tests inflate them themselves.

#![allow(dead_code)] // each test file uses part of it

use std::collections::HashMap;
use std::io::Read as _;

/// Every part by name, as text (stored or deflated; any other method panics).
pub fn zip_entries(bytes: &[u8]) -> HashMap<String, String> {
    // The central directory has the sizes even when the local headers defer them.
    let u16_at = |p: usize| u16::from_le_bytes([bytes[p], bytes[p + 1]]) as usize;
    let u32_at = |p: usize| {
        u32::from_le_bytes([bytes[p], bytes[p + 1], bytes[p + 2], bytes[p + 3]]) as usize
    };
    let mut parts = HashMap::new();
    let mut pos = 0;
    while pos + 46 <= bytes.len() {
        if bytes[pos..pos + 4] != [0x50, 0x4B, 0x01, 0x02] {
            pos += 1;
            continue;
        }
        let method = u16_at(pos + 10);
        let compressed = u32_at(pos + 20);
        let name_len = u16_at(pos + 28);
        let extra_len = u16_at(pos + 30);
        let comment_len = u16_at(pos + 32);
        let local = u32_at(pos + 42);
        let name = String::from_utf8_lossy(&bytes[pos + 46..pos + 46 + name_len]).into_owned();
        let start = local + 30 + u16_at(local + 26) + u16_at(local + 28);
        let data = &bytes[start..start + compressed];
        let text = match method {
            0 => String::from_utf8_lossy(data).into_owned(),
            8 => inflate(data),
            other => panic!("zip method {other} for {name}"),
        };
        parts.insert(name, text);
        pos += 46 + name_len + extra_len + comment_len;
    }
    parts
}

/// The part `name`, as text; panics when the file has none.
pub fn zip_part(bytes: &[u8], name: &str) -> String {
    zip_entries(bytes)
        .remove(name)
        .unwrap_or_else(|| panic!("{name} not found"))
}

fn inflate(data: &[u8]) -> String {
    let mut out = String::new();
    flate2::read::DeflateDecoder::new(data)
        .read_to_string(&mut out)
        .unwrap();
    out
}
