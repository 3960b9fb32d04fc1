//! PNG encoding of 8-bit RGB pixel buffers (TensorBoard images, plots).

use crate::error::{Context, Result, ensure};

/// Encodes a row-major, top-row-first RGB8 buffer as PNG file bytes.
pub fn encode_rgb_png(width: u32, height: u32, pixels: &[u8]) -> Result<Vec<u8>> {
    let expected = width as usize * height as usize * 3;
    ensure!(
        pixels.len() == expected,
        "image of {width}x{height} needs {expected} RGB bytes, got {}",
        pixels.len()
    );
    ensure!(
        width > 0 && height > 0,
        "image of {width}x{height} is empty"
    );
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().context("writing PNG header")?;
    writer
        .write_image_data(pixels)
        .context("writing PNG pixels")?;
    writer.finish().context("finishing PNG")?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_png_decodes_to_the_same_pixels() {
        let pixels: Vec<u8> = (0..4 * 3 * 3).map(|i| (i * 7) as u8).collect();
        let bytes = encode_rgb_png(4, 3, &pixels).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (4, 3));
        assert_eq!(&buf[..info.buffer_size()], &pixels[..]);
    }

    #[test]
    fn wrong_buffer_size_is_an_error() {
        let err = encode_rgb_png(2, 2, &[0; 5]).unwrap_err();
        assert!(err.to_string().contains("needs 12 RGB bytes"), "{err}");
    }
}
