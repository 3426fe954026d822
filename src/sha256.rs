//! SHA-256 (FIPS 180-4 §6.2), the one hash PKCE's S256 method needs (RFC 7636 §4.2), for native
//! code and the server build (`--features server`: the bound check recomputes a verifier's
//! challenge). The browser module does not have it: the wrapper hands the core Web Crypto's
//! digest (`crypto.subtle.digest`; [`crate::pkce::PkceCodeChallenge::from_digest`]).
//!
//! Invariant: no panic path and no heap: the message and its padding (RFC 6234 §4.1) are
//! streamed byte by byte through one 64-byte block. Written here
//! instead of taking the `sha2` crate: its block buffer, generic digest plumbing and their
//! slice-length panics (which link `core::fmt`) cost about 2 KB of wasm for hashing one
//! 43-byte verifier per connection. Checked against the `sha2` crate and the FIPS 180-2
//! examples in the tests.

/// FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the
/// first 64 primes.
const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// FIPS 180-4 §5.3.3: the initial hash value.
const H0: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// The SHA-256 digest of `message`: its bytes, then (§5.1.1) a 1 bit, zeros, and the message
/// length in bits as 64 bits, to a whole number of 64-byte blocks, streamed through one block.
#[allow(clippy::indexing_slicing)] // `(i >> 2) & 15` into 16 words, `i < len` into the message, `(i / 4) & 7` into 8: no bounds check, no panic path
pub fn sha256(message: &[u8]) -> [u8; 32] {
    let mut h = H0;
    // The block as the 16 big-endian words it is read as, each byte shifted in as it comes.
    let mut block = [0u32; 16];
    let len = message.len();
    let bits = (len as u64).wrapping_mul(8);
    let total = (len + 8) / 64 * 64 + 64;
    for i in 0..total {
        let byte = if i < len {
            message[i]
        } else if i == len {
            0x80
        } else if i + 8 >= total {
            (bits >> ((total - 1 - i) * 8)) as u8
        } else {
            0
        };
        let word = &mut block[(i >> 2) & 15];
        *word = *word << 8 | u32::from(byte);
        if i & 63 == 63 {
            compress(&mut h, &block);
        }
    }
    // The words big-endian, byte by byte (flat_map linked an iterator adapter of its own;
    // from_fn measured 13 B gzip less than a zeroed array filled by an enumerate loop).
    core::array::from_fn(|i| (h[(i / 4) & 7] >> (24 - 8 * (i % 4))) as u8)
}

/// §6.2.2: one 64-byte block (as its 16 big-endian words) into the hash value, with the message schedule kept as a ring of
/// 16 words (W[t-16] is overwritten by W[t]).
#[allow(clippy::indexing_slicing)] // every index is masked to its array (`& 15` into 16 words, `& 63` into K, `& 7` into 8): no bounds check, no panic path
fn compress(state: &mut [u32; 8], block: &[u32; 16]) {
    let mut w = *block;
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    for t in 0..64 {
        if t >= 16 {
            let (w15, w2) = (w[(t + 1) & 15], w[(t + 14) & 15]);
            let s0 = w15.rotate_right(7) ^ w15.rotate_right(18) ^ (w15 >> 3);
            let s1 = w2.rotate_right(17) ^ w2.rotate_right(19) ^ (w2 >> 10);
            w[t & 15] = w[t & 15]
                .wrapping_add(s0)
                .wrapping_add(w[(t + 9) & 15])
                .wrapping_add(s1);
        }
        let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
        // Ch and Maj (§4.1.2) in their equivalent shorter forms.
        let ch = g ^ (e & (f ^ g));
        let t1 = h
            .wrapping_add(s1)
            .wrapping_add(ch)
            .wrapping_add(K[t & 63])
            .wrapping_add(w[t & 15]);
        let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
        let maj = (a & b) | (c & (a | b));
        let t2 = s0.wrapping_add(maj);
        (h, g, f, e, d, c, b, a) = (g, f, e, d.wrapping_add(t1), c, b, a, t1.wrapping_add(t2));
    }
    // An index loop, not a zip with the array (12 B gzip less).
    let v = [a, b, c, d, e, f, g, h];
    for i in 0..8 {
        state[i & 7] = state[i & 7].wrapping_add(v[i & 7]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::test_prelude::*;
    use sha2::Digest;

    fn hex(d: [u8; 32]) -> String {
        d.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// FIPS 180-2 Appendix B and the empty message.
    #[test]
    fn fips_180_2_examples() {
        assert_eq!(
            hex(sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(sha256(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        assert_eq!(
            hex(sha256(&[b'a'; 1_000_000])),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }

    /// Every length around the block and padding boundaries, against the `sha2` crate.
    #[test]
    fn agrees_with_the_sha2_crate_for_every_length_to_300() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in 0..=data.len() {
            let want: [u8; 32] = sha2::Sha256::digest(&data[..len]).into();
            assert_eq!(sha256(&data[..len]), want, "length {len}");
        }
    }
}
