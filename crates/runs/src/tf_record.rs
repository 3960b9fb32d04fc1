//! TFRecord framing, the container of TensorBoard event files.
//!
//! Each record is `u64 length (LE) | u32 masked CRC32C of the length bytes |
//! payload | u32 masked CRC32C of the payload`, where the mask is
//! `((crc >> 15) | (crc << 17)) + 0xa282ead8` (wrapping) and CRC32C uses the
//! Castagnoli polynomial.

use crate::error::{Result, bail};
use crc::{CRC_32_ISCSI, Crc};

const CASTAGNOLI: Crc<u32> = Crc::<u32>::new(&CRC_32_ISCSI);
const MASK_DELTA: u32 = 0xa282_ead8;
/// Bytes before a payload: the length and its CRC.
const HEADER_LEN: usize = 12;
/// Bytes of framing around a payload: the header and the payload CRC.
const FRAMING_LEN: usize = HEADER_LEN + 4;

/// The masked CRC32C that TFRecord stores next to the length and payload.
pub fn masked_crc32c(bytes: &[u8]) -> u32 {
    CASTAGNOLI
        .checksum(bytes)
        .rotate_right(15)
        .wrapping_add(MASK_DELTA)
}

/// Appends one framed record holding `payload` to `out`.
pub fn write_record(payload: &[u8], out: &mut Vec<u8>) {
    let len = (payload.len() as u64).to_le_bytes();
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc32c(&len).to_le_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&masked_crc32c(payload).to_le_bytes());
}

/// Reads the records of a TFRecord byte buffer in order.
///
/// A complete record whose CRC does not match is an error. A record cut short
/// at the end of the buffer (a writer killed mid-write) ends the iteration
/// cleanly and is reported by [`TfRecordReader::truncated_tail`], the way
/// TensorBoard's own reader treats it.
#[derive(Debug)]
pub struct TfRecordReader<'a> {
    bytes: &'a [u8],
    offset: usize,
    truncated_tail: bool,
}

impl<'a> TfRecordReader<'a> {
    /// A reader over the whole buffer.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            offset: 0,
            truncated_tail: false,
        }
    }

    /// Whether the buffer ended inside a record.
    pub fn truncated_tail(&self) -> bool {
        self.truncated_tail
    }

    /// The byte offset just past the last complete record read so far.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The next payload, `None` at the end (clean or truncated).
    pub fn next_record(&mut self) -> Result<Option<&'a [u8]>> {
        let rest = &self.bytes[self.offset..];
        if rest.is_empty() {
            return Ok(None);
        }
        if rest.len() < HEADER_LEN {
            self.truncated_tail = true;
            return Ok(None);
        }
        let (len_bytes, after_len) = rest.split_at(8);
        let len_crc = read_u32(&after_len[..4]);
        if masked_crc32c(len_bytes) != len_crc {
            bail!(
                "corrupt record at byte {}: length checksum mismatch",
                self.offset
            );
        }
        let len = u64::from_le_bytes(len_bytes.try_into().expect("8 bytes"));
        let Some(total) = usize::try_from(len)
            .ok()
            .and_then(|len| len.checked_add(FRAMING_LEN))
        else {
            bail!(
                "corrupt record at byte {}: length {len} too large",
                self.offset
            );
        };
        if rest.len() < total {
            self.truncated_tail = true;
            return Ok(None);
        }
        let payload = &rest[HEADER_LEN..total - 4];
        let data_crc = read_u32(&rest[total - 4..total]);
        if masked_crc32c(payload) != data_crc {
            bail!(
                "corrupt record at byte {}: payload checksum mismatch",
                self.offset
            );
        }
        self.offset += total;
        Ok(Some(payload))
    }
}

fn read_u32(bytes: &[u8]) -> u32 {
    u32::from_le_bytes(bytes.try_into().expect("4 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_crc_matches_tensorboard_reference_values() {
        // Values computed with tensorboard's own `masked_crc32c`.
        assert_eq!(masked_crc32c(b"123456789"), 0xc78a_b0e5);
        assert_eq!(masked_crc32c(&9u64.to_le_bytes()), 0x3971_f937);
        // The unmasked Castagnoli check value.
        assert_eq!(CASTAGNOLI.checksum(b"123456789"), 0xe306_9283);
    }

    #[test]
    fn records_round_trip_in_order() {
        let mut buf = Vec::new();
        write_record(b"first", &mut buf);
        write_record(b"", &mut buf);
        write_record(&[7u8; 300], &mut buf);
        let mut reader = TfRecordReader::new(&buf);
        assert_eq!(reader.next_record().unwrap(), Some(&b"first"[..]));
        assert_eq!(reader.next_record().unwrap(), Some(&b""[..]));
        assert_eq!(reader.next_record().unwrap(), Some(&[7u8; 300][..]));
        assert_eq!(reader.next_record().unwrap(), None);
        assert!(!reader.truncated_tail());
    }

    #[test]
    fn reader_stops_cleanly_at_every_truncation_point() {
        let mut buf = Vec::new();
        write_record(b"kept", &mut buf);
        let whole = buf.len();
        write_record(b"torn away", &mut buf);
        for cut in whole + 1..buf.len() {
            let mut reader = TfRecordReader::new(&buf[..cut]);
            assert_eq!(reader.next_record().unwrap(), Some(&b"kept"[..]));
            assert_eq!(reader.next_record().unwrap(), None, "cut at {cut}");
            assert!(reader.truncated_tail());
            assert_eq!(reader.offset(), whole);
        }
    }

    #[test]
    fn reader_rejects_a_flipped_payload_byte() {
        let mut buf = Vec::new();
        write_record(b"payload", &mut buf);
        buf[14] ^= 0x01;
        let err = TfRecordReader::new(&buf).next_record().unwrap_err();
        assert!(err.to_string().contains("payload checksum"), "{err}");
    }

    #[test]
    fn reader_rejects_a_flipped_length_byte() {
        let mut buf = Vec::new();
        write_record(b"payload", &mut buf);
        buf[0] ^= 0x40;
        let err = TfRecordReader::new(&buf).next_record().unwrap_err();
        assert!(err.to_string().contains("length checksum"), "{err}");
    }
}
