//! The error numbers are the ones Linux uses on x86-64 (and every other
//! architecture but alpha, mips, parisc and sparc, which Rust-for-Linux
//! does not build for).

use crate::errno::*;

#[test]
fn errnos_have_their_linux_values() {
    let cases = [
        (EPERM, 1),
        (EBUSY, 16),
        (EEXIST, 17),
        (EXDEV, 18),
        (EMLINK, 31),
        (EINVAL, 22),
        (ERANGE, 34),
        (ENOTUNIQ, 76),
    ];
    for (errno, linux) in cases {
        assert_eq!(errno, linux);
    }
}
