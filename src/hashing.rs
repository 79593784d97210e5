//! Identity hashing shared by every ingest format and by schemas (SPEC §1, §2).

use sha2::{Digest, Sha256};

/// Lower-case hex SHA-256 of the concatenation of `parts`.
pub fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hex::encode(hasher.finalize())
}

/// `source_uid = sha256(source_type bytes + raw file bytes)`.
pub fn source_uid(source_type: &str, raw: &[u8]) -> String {
    sha256_hex(&[source_type.as_bytes(), raw])
}

/// `conv_uid = sha256(parsing_tool + representation_type + representation bytes)`.
pub fn conv_uid(parsing_tool: &str, representation_type: &str, representation: &[u8]) -> String {
    sha256_hex(&[
        parsing_tool.as_bytes(),
        representation_type.as_bytes(),
        representation,
    ])
}

/// `block_uid = conv_uid + ":" + block_index`.
pub fn block_uid(conv_uid: &str, block_index: u32) -> String {
    format!("{conv_uid}:{block_index}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_parts_equals_sha256_of_concatenation() {
        assert_eq!(sha256_hex(&[b"md", b"abc"]), sha256_hex(&[b"mdabc"]));
        // Known vector: sha256("abc").
        assert_eq!(
            sha256_hex(&[b"abc"]),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn block_uid_joins_with_colon() {
        assert_eq!(block_uid("ab12", 7), "ab12:7");
    }
}
