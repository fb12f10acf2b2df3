//! The weight bytes cut into files of `--weight_shard_size_bytes`, named as
//! `_shard_group_bytes_to_disk` names them (write_weights.py).

use std::io::Write;

/// `group1-shard{i}of{n}.bin` with their sizes: full files, then the rest.
pub fn file_names(total: u64, shard_size: u64) -> Vec<(String, u64)> {
    let size = shard_size.max(1);
    let count = total.div_ceil(size);
    (0..count)
        .map(|i| {
            let start = i.saturating_mul(size);
            let len = size.min(total.saturating_sub(start));
            (format!("group1-shard{}of{count}.bin", i + 1), len)
        })
        .collect()
}

/// A writer over the weight files: each byte goes to the file its offset
/// falls in; the next file is opened when one is full.
pub struct Cutter<'a, W, F> {
    files: &'a [(String, u64)],
    open: F,
    next: usize,
    current: Option<W>,
    left: u64,
}

impl<'a, W: Write, F: FnMut(&str) -> std::io::Result<W>> Cutter<'a, W, F> {
    pub fn new(files: &'a [(String, u64)], open: F) -> Self {
        Cutter {
            files,
            open,
            next: 0,
            current: None,
            left: 0,
        }
    }

    fn advance(&mut self) -> std::io::Result<()> {
        if let Some(mut done) = self.current.take() {
            done.flush()?;
        }
        let (name, len) = self
            .files
            .get(self.next)
            .ok_or_else(|| std::io::Error::other("more weight bytes than the files hold"))?;
        self.current = Some((self.open)(name)?);
        self.left = *len;
        self.next += 1;
        Ok(())
    }

    /// Flushes the last file; checks that every file was written whole.
    pub fn finish(mut self) -> std::io::Result<()> {
        if let Some(mut done) = self.current.take() {
            done.flush()?;
        }
        if self.left != 0 || self.next != self.files.len() {
            return Err(std::io::Error::other(
                "fewer weight bytes than the files hold",
            ));
        }
        Ok(())
    }
}

impl<W: Write, F: FnMut(&str) -> std::io::Result<W>> Write for Cutter<'_, W, F> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.left == 0 {
            self.advance()?;
        }
        let step = usize::try_from(self.left).map_or(buf.len(), |l| l.min(buf.len()));
        let file = self
            .current
            .as_mut()
            .ok_or_else(|| std::io::Error::other("no weight file open"))?;
        let written = file.write(buf.get(..step).unwrap_or_default())?;
        self.left = self.left.saturating_sub(written as u64);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.current.as_mut().map_or(Ok(()), Write::flush)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_at_the_shard_size() {
        assert_eq!(
            file_names(10, 4),
            [
                ("group1-shard1of3.bin".to_owned(), 4),
                ("group1-shard2of3.bin".to_owned(), 4),
                ("group1-shard3of3.bin".to_owned(), 2)
            ]
        );
        assert!(file_names(0, 4).is_empty());
        let files = file_names(10, 4);
        let mut written: Vec<(String, Vec<u8>)> = Vec::new();
        {
            let mut out = Cutter::new(&files, |name: &str| {
                written.push((name.to_owned(), Vec::new()));
                Ok(Vec::new())
            });
            out.write_all(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).unwrap();
            out.finish().unwrap();
        }
        assert_eq!(written.len(), 3);
    }
}
