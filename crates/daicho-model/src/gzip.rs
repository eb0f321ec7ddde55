//! The gzip content encoding of a report body, undone within a bound.
//!
//! An agent may gzip its report; the collector undoes it here, never past a limit, so a
//! compression bomb costs at most `limit + 1` bytes of memory.

use std::io::Read as _;

/// Why a gzip body could not be undone.
#[derive(Debug, thiserror::Error)]
pub enum InflateError {
    /// The bytes are not a valid gzip stream.
    #[error("the body is not valid gzip: {0}")]
    Invalid(#[source] std::io::Error),
    /// The stream inflates to more than the limit.
    #[error("the body inflates to more than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
}

/// The bytes `compressed` inflates to, or an error once they would pass `limit` bytes.
pub fn inflate_bounded(compressed: &[u8], limit: usize) -> Result<Vec<u8>, InflateError> {
    // Room for exactly limit + 1 bytes up front (pages untouched until written): growing on
    // demand past the limit would double the buffer and copy it, twice the memory.
    let mut out = Vec::with_capacity(limit.saturating_add(1));
    flate2::read::GzDecoder::new(compressed)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(InflateError::Invalid)?;
    if out.len() > limit {
        return Err(InflateError::TooLarge { limit });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn inflates_up_to_the_limit_and_refuses_one_byte_more() {
        let body = vec![b'x'; 1000];
        assert_eq!(inflate_bounded(&gzip(&body), 1000).unwrap(), body);
        assert!(matches!(
            inflate_bounded(&gzip(&body), 999),
            Err(InflateError::TooLarge { limit: 999 })
        ));
    }

    #[test]
    fn refuses_what_is_not_gzip() {
        assert!(matches!(
            inflate_bounded(b"{\"schema\":1}", 1000),
            Err(InflateError::Invalid(_))
        ));
        let mut cut = gzip(b"hello world");
        cut.truncate(cut.len() - 4);
        assert!(inflate_bounded(&cut, 1000).is_err());
    }
}
