//! Writing frames: PNG files, numbered PNG sequences, frame strips and mp4
//! through the `ffmpeg` program.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::{EnvError, Result, RgbFrame};

fn io_error(path: &Path, what: &str, e: impl std::fmt::Display) -> EnvError {
    EnvError::InvalidParameter {
        env: "render".to_string(),
        field: path.display().to_string(),
        message: format!("{what}: {e}"),
    }
}

/// Writes `frame` as an 8-bit RGB PNG at `path`.
pub fn write_png(frame: &RgbFrame, path: &Path) -> Result<()> {
    check_frame(frame)?;
    let file = File::create(path).map_err(|e| io_error(path, "cannot create PNG", e))?;
    let mut encoder = png::Encoder::new(BufWriter::new(file), frame.width, frame.height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder
        .write_header()
        .map_err(|e| io_error(path, "cannot write PNG header", e))?;
    writer
        .write_image_data(&frame.pixels)
        .map_err(|e| io_error(path, "cannot write PNG data", e))?;
    writer
        .finish()
        .map_err(|e| io_error(path, "cannot finish PNG", e))
}

/// Writes `frames` as `dir/frame_00000.png`, `dir/frame_00001.png`, …
/// (creating `dir`).
pub fn write_png_sequence(frames: &[RgbFrame], dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, "cannot create folder", e))?;
    for (i, f) in frames.iter().enumerate() {
        write_png(f, &dir.join(format!("frame_{i:05}.png")))?;
    }
    Ok(())
}

/// Places `frames` side by side, scaled down by the integer `downscale`
/// (box filter), into one frame: a strip for docs and reports.
pub fn frame_strip(frames: &[RgbFrame], downscale: u32) -> Result<RgbFrame> {
    let first = frames.first().ok_or_else(|| EnvError::InvalidParameter {
        env: "render".to_string(),
        field: "frames".to_string(),
        message: "a strip needs at least one frame".to_string(),
    })?;
    let s = downscale.max(1) as usize;
    let (fw, fh) = (first.width as usize / s, first.height as usize / s);
    let mut out = RgbFrame::filled((fw * frames.len()) as u32, fh as u32, [255, 255, 255]);
    for (k, f) in frames.iter().enumerate() {
        check_frame(f)?;
        if f.width != first.width || f.height != first.height {
            return Err(EnvError::InvalidParameter {
                env: "render".to_string(),
                field: "frames".to_string(),
                message: "all frames of a strip must have the same size".to_string(),
            });
        }
        for y in 0..fh {
            for x in 0..fw {
                let mut acc = [0u32; 3];
                for dy in 0..s {
                    for dx in 0..s {
                        let i = ((y * s + dy) * f.width as usize + x * s + dx) * 3;
                        for (c, a) in acc.iter_mut().enumerate() {
                            *a += u32::from(f.pixels[i + c]);
                        }
                    }
                }
                let o = (y * fw * frames.len() + k * fw + x) * 3;
                for (c, a) in acc.iter().enumerate() {
                    out.pixels[o + c] = (a / (s * s) as u32) as u8;
                }
            }
        }
    }
    Ok(out)
}

/// Encodes `frames` as an H.264 mp4 at `fps` by piping raw RGB into the
/// `ffmpeg` program. Fails with a clear error when `ffmpeg` is not installed
/// (on Debian: `apt-get install ffmpeg`).
pub fn write_mp4(frames: &[RgbFrame], fps: u32, path: &Path) -> Result<()> {
    let first = frames.first().ok_or_else(|| EnvError::InvalidParameter {
        env: "render".to_string(),
        field: path.display().to_string(),
        message: "a video needs at least one frame".to_string(),
    })?;
    let size = format!("{}x{}", first.width, first.height);
    let mut child = Command::new("ffmpeg")
        .args([
            "-y",
            "-loglevel",
            "error",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
        ])
        .arg(&size)
        .args(["-r", &fps.max(1).to_string(), "-i", "-"])
        .args([
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "+faststart",
        ])
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            io_error(
                path,
                "cannot run ffmpeg (is it installed? on Debian: apt-get install ffmpeg)",
                e,
            )
        })?;
    {
        let stdin = child
            .stdin
            .as_mut()
            .ok_or_else(|| io_error(path, "ffmpeg", "no stdin"))?;
        for f in frames {
            check_frame(f)?;
            if f.width != first.width || f.height != first.height {
                return Err(io_error(path, "frames differ in size", &size));
            }
            stdin
                .write_all(&f.pixels)
                .map_err(|e| io_error(path, "writing to ffmpeg failed", e))?;
        }
    }
    let out = child
        .wait_with_output()
        .map_err(|e| io_error(path, "ffmpeg did not finish", e))?;
    if !out.status.success() {
        return Err(io_error(
            path,
            "ffmpeg failed",
            String::from_utf8_lossy(&out.stderr).trim(),
        ));
    }
    Ok(())
}

fn check_frame(f: &RgbFrame) -> Result<()> {
    if f.pixels.len() != f.width as usize * f.height as usize * 3 || f.width == 0 || f.height == 0 {
        return Err(EnvError::InvalidParameter {
            env: "render".to_string(),
            field: "frame".to_string(),
            message: format!(
                "{}x{} frame has {} bytes",
                f.width,
                f.height,
                f.pixels.len()
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_round_trips_size_through_a_file() {
        let dir = std::env::temp_dir().join(format!("vp_png_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.png");
        write_png(&RgbFrame::filled(8, 4, [10, 20, 30]), &path).unwrap();
        let decoder = png::Decoder::new(std::io::BufReader::new(File::open(&path).unwrap()));
        let reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (8, 4));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn frame_strip_places_frames_side_by_side() {
        let a = RgbFrame::filled(4, 4, [255, 0, 0]);
        let b = RgbFrame::filled(4, 4, [0, 0, 255]);
        let s = frame_strip(&[a, b], 2).unwrap();
        assert_eq!((s.width, s.height), (4, 2));
        assert_eq!(&s.pixels[0..3], &[255, 0, 0]);
        assert_eq!(&s.pixels[(2 * 3)..(2 * 3 + 3)], &[0, 0, 255]);
    }
}
