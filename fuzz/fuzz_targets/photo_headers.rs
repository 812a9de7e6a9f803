//! A photo chunk's headers (`Content-Type`, `Upload-Length`, `Upload-Offset`): any bytes are
//! read or refused without panicking, and what is read keeps to the limits.
#![no_main]

use domain::form::{MAX_PHOTO_BYTES, PHOTO_TYPES};
use domain::sync::ChunkHeaders;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Parts separated by NUL: type, length, offset (what follows is ignored).
    let mut parts = data.split(|&b| b == 0);
    let (ty, length, offset) = (parts.next(), parts.next(), parts.next());
    if let Ok(h) = ChunkHeaders::parse(ty, length, offset) {
        assert!(PHOTO_TYPES.contains(&h.content_type));
        assert!(h.total >= 1 && h.total <= MAX_PHOTO_BYTES);
    }
});
