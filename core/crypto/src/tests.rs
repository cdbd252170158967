//! Tests of the device identity, request signing and sealed payloads,
//! including the RFC 8032 (Ed25519) and RFC 7748 (X25519) known answers.

use super::seal::{derive_key, seal_with_rng, static_agree};
use super::signing::verify_raw;
use super::*;
use ring::aead::{Aad, Nonce};
use x25519_dalek::StaticSecret;
use zeroize::Zeroizing;

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn hex32(text: &str) -> [u8; 32] {
    hex(text).try_into().unwrap()
}

fn identity() -> DeviceIdentity {
    DeviceIdentity::generate().unwrap()
}

/// A PKCS#8 v2 document as ring writes it, for a known seed and public key.
fn ed25519_pkcs8(seed: &[u8; 32], public: &[u8; 32]) -> Zeroizing<Vec<u8>> {
    let mut doc = hex("3051020101300506032b657004220420");
    doc.extend_from_slice(seed);
    doc.extend_from_slice(&hex("812100"));
    doc.extend_from_slice(public);
    Zeroizing::new(doc)
}

const BODY: &[u8] = br#"{"actions":[{"alert":"a1","action":"acknowledge"}]}"#;

#[test]
fn signature_round_trips() {
    let id = identity();
    let nonce = new_nonce();
    let sig = id.sign_request("d1", "POST", "/v1/actions?x=1", 1_767_000_000, &nonce, BODY);
    assert!(!sig.contains('='), "no padding");
    verify_request(
        &id.signing_public_key(),
        "d1",
        "POST",
        "/v1/actions?x=1",
        1_767_000_000,
        &nonce,
        BODY,
        &sig,
    )
    .unwrap();
}

#[test]
fn signature_over_changed_fields_fails() {
    let id = identity();
    let key = id.signing_public_key();
    let sig = id.sign_request("d1", "POST", "/v1/actions", 100, "n1", BODY);
    let bad = |device: &str, method: &str, path: &str, ts: i64, nonce: &str, body: &[u8]| {
        verify_request(&key, device, method, path, ts, nonce, body, &sig)
    };
    // Each field changed in turn: (device, method, path, timestamp, nonce, body).
    type Fields<'a> = (&'a str, &'a str, &'a str, i64, &'a str, &'a [u8]);
    let changed: [Fields; 7] = [
        ("d2", "POST", "/v1/actions", 100, "n1", BODY),
        ("d1", "PUT", "/v1/actions", 100, "n1", BODY),
        ("d1", "POST", "/v1/action", 100, "n1", BODY),
        ("d1", "POST", "/v1/actions?a=1", 100, "n1", BODY),
        ("d1", "POST", "/v1/actions", 101, "n1", BODY),
        ("d1", "POST", "/v1/actions", 100, "n2", BODY),
        ("d1", "POST", "/v1/actions", 100, "n1", b"{}"),
    ];
    for (device, method, path, ts, nonce, body) in changed {
        assert_eq!(
            bad(device, method, path, ts, nonce, body),
            Err(CryptoError::BadSignature),
            "{device} {method} {path} {ts} {nonce}"
        );
    }
    assert_eq!(bad("d1", "POST", "/v1/actions", 100, "n1", BODY), Ok(()));
}

#[test]
fn signature_from_another_device_or_malformed_fails() {
    let id = identity();
    let other = identity();
    let sig = id.sign_request("d", "GET", "/v1/sync", 5, "n", b"");
    let other_key = other.signing_public_key();
    assert_eq!(
        verify_request(&other_key, "d", "GET", "/v1/sync", 5, "n", b"", &sig),
        Err(CryptoError::BadSignature)
    );
    let key = id.signing_public_key();
    for garbage in ["", "!!!", "AAAA", &sig[..sig.len() - 2]] {
        assert_eq!(
            verify_request(&key, "d", "GET", "/v1/sync", 5, "n", b"", garbage),
            Err(CryptoError::BadSignature)
        );
    }
}

#[test]
fn fields_with_newlines_are_refused() {
    let id = identity();
    let key = id.signing_public_key();
    let sig = id.sign_request("d", "GET", "/v1/sync\n5", 5, "n", b"");
    assert_eq!(
        verify_request(&key, "d", "GET", "/v1/sync\n5", 5, "n", b"", &sig),
        Err(CryptoError::BadSignature)
    );
    // A device id that could shift the method into its line.
    let sig = id.sign_request("d\nGET", "GET", "/v1/sync", 5, "n", b"");
    assert_eq!(
        verify_request(&key, "d\nGET", "GET", "/v1/sync", 5, "n", b"", &sig),
        Err(CryptoError::BadSignature)
    );
}

#[test]
fn canonical_request_is_exactly_the_documented_text() {
    assert_eq!(
        canonical_request("dev1", "post", "/v1/actions?b=2", -3, "abc", b""),
        "KLAXON-V2\ndev1\nPOST\n/v1/actions?b=2\n-3\nabc\n\
         e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn nonces_are_fresh_header_safe_text() {
    let a = new_nonce();
    let b = new_nonce();
    assert_ne!(a, b);
    assert_eq!(a.len(), 22);
    assert!(a
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
}

#[test]
fn ed25519_rfc8032_test_vectors_through_the_identity() {
    // RFC 8032 section 7.1, TEST 1 (empty message) and TEST 2 (one byte).
    let vectors = [
        (
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        ),
        (
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        ),
    ];
    for (seed, public, message, signature) in vectors {
        let (seed, public) = (hex32(seed), hex32(public));
        let id = DeviceIdentity::from_parts(ed25519_pkcs8(&seed, &public), &[7u8; 32]).unwrap();
        assert_eq!(id.signing_public_key(), public);
        let sig = id.sign_raw(&hex(message));
        assert_eq!(sig.as_ref(), hex(signature).as_slice());
        verify_raw(&public, &hex(message), sig.as_ref()).unwrap();
        // And the identity survives its own storage format.
        let restored = DeviceIdentity::from_bytes(&id.to_bytes()).unwrap();
        assert_eq!(restored.sign_raw(&hex(message)).as_ref(), sig.as_ref());
    }
}

#[test]
fn x25519_rfc7748_known_answer_through_seal_and_open() {
    // RFC 7748 section 6.1: Alice is the sender's ephemeral key, Bob the device.
    let alice_private = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    let alice_public = hex32("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    let bob_private = hex32("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    let bob_public = hex32("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    let shared = hex32("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");

    // Opening side: the device's static key gives Bob's public key and K.
    let pkcs8 = {
        let rng = ring::rand::SystemRandom::new();
        let doc = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        Zeroizing::new(doc.as_ref().to_vec())
    };
    let bob = DeviceIdentity::from_parts(pkcs8, &bob_private).unwrap();
    assert_eq!(bob.sealing_public_key(), bob_public);
    let k = static_agree(&StaticSecret::from(bob_private), &alice_public).unwrap();
    assert_eq!(k.as_bytes(), &shared);

    // Sealing side: ring's ephemeral key fixed to Alice's scalar.
    #[allow(deprecated)]
    let rng = ring::test::rand::FixedSliceRandom {
        bytes: &alice_private,
    };
    let sealed = seal_with_rng(&rng, &bob_public, b"page: db down").unwrap();
    assert_eq!(sealed[0], SEAL_VERSION);
    assert_eq!(&sealed[1..33], &alice_public);
    assert_eq!(sealed.len(), b"page: db down".len() + SEALED_OVERHEAD);

    // The ciphertext is exactly what a key derived from the RFC's K opens.
    let key = derive_key(&shared, &alice_public, &bob_public).unwrap();
    let mut buf = sealed[33..].to_vec();
    let plain = key
        .open_in_place(
            Nonce::assume_unique_for_key([0; 12]),
            Aad::from(&sealed[..33]),
            &mut buf,
        )
        .unwrap();
    assert_eq!(plain, b"page: db down");
    assert_eq!(bob.open(&sealed).unwrap(), b"page: db down");
}

#[test]
fn seal_round_trips_and_is_randomized() {
    let id = identity();
    for plaintext in [&b""[..], b"x", &[0xAB; 3000]] {
        let a = seal(&id.sealing_public_key(), plaintext).unwrap();
        let b = seal(&id.sealing_public_key(), plaintext).unwrap();
        assert_ne!(a, b, "a fresh ephemeral key per seal");
        assert_eq!(id.open(&a).unwrap(), plaintext);
        assert_eq!(id.open(&b).unwrap(), plaintext);
    }
}

#[test]
fn any_tampered_byte_fails_to_open() {
    let id = identity();
    let sealed = seal(&id.sealing_public_key(), b"critical: api 500s").unwrap();
    for i in 0..sealed.len() {
        let mut bad = sealed.clone();
        bad[i] ^= 0x01;
        assert!(id.open(&bad).is_err(), "flipped byte {i} still opened");
    }
    assert_eq!(
        id.open(&sealed[..sealed.len() - 1]),
        Err(CryptoError::OpenFailed)
    );
    let mut longer = sealed.clone();
    longer.push(0);
    assert_eq!(id.open(&longer), Err(CryptoError::OpenFailed));
}

#[test]
fn wrong_key_malformed_and_unknown_versions_fail() {
    let id = identity();
    let other = identity();
    let sealed = seal(&id.sealing_public_key(), b"hello").unwrap();
    assert_eq!(other.open(&sealed), Err(CryptoError::OpenFailed));
    assert_eq!(id.open(&[]), Err(CryptoError::Malformed("empty")));
    assert!(matches!(
        id.open(&sealed[..20]),
        Err(CryptoError::Malformed(_))
    ));
    let mut v2 = sealed.clone();
    v2[0] = 2;
    assert_eq!(id.open(&v2), Err(CryptoError::UnsupportedVersion(2)));
}

#[test]
fn low_order_keys_are_refused() {
    // All zeros is a low-order point: the shared secret would be zero.
    assert_eq!(
        seal(&[0u8; 32], b"x"),
        Err(CryptoError::InvalidPublicKey("X25519"))
    );
    let id = identity();
    let mut sealed = seal(&id.sealing_public_key(), b"x").unwrap();
    sealed[1..33].fill(0);
    assert_eq!(id.open(&sealed), Err(CryptoError::OpenFailed));
}

#[test]
fn identity_survives_its_storage_format() {
    let id = identity();
    let bytes = id.to_bytes();
    assert_eq!(bytes[0], 1);
    let restored = DeviceIdentity::from_bytes(&bytes).unwrap();
    assert_eq!(restored.signing_public_key(), id.signing_public_key());
    assert_eq!(restored.sealing_public_key(), id.sealing_public_key());
    // Both secrets came back, not only the public halves.
    let sealed = seal(&id.sealing_public_key(), b"page").unwrap();
    assert_eq!(restored.open(&sealed).unwrap(), b"page");
    let sig = restored.sign_request("d", "GET", "/v1/sync", 1, "n", b"");
    verify_request(
        &id.signing_public_key(),
        "d",
        "GET",
        "/v1/sync",
        1,
        "n",
        b"",
        &sig,
    )
    .unwrap();
    // Two identities differ.
    assert_ne!(identity().signing_public_key(), id.signing_public_key());
}

#[test]
fn corrupt_identity_bytes_are_refused() {
    let bytes = identity().to_bytes();
    assert!(DeviceIdentity::from_bytes(&[]).is_err());
    assert!(DeviceIdentity::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    assert!(DeviceIdentity::from_bytes(&[&bytes[..], &[0]].concat()).is_err());
    let mut v9 = bytes.clone();
    v9[0] = 9;
    assert!(DeviceIdentity::from_bytes(&v9).is_err());
    // A PKCS#8 whose embedded public key does not match the seed.
    let mut mismatched = bytes.clone();
    mismatched[3 + 83 - 1] ^= 1;
    assert_eq!(
        DeviceIdentity::from_bytes(&mismatched).err(),
        Some(CryptoError::InvalidIdentity("Ed25519 PKCS#8 rejected"))
    );
}

#[test]
fn debug_output_shows_no_secret() {
    let id = identity();
    let shown = format!("{id:?}");
    assert!(shown.contains("signing_public_key"));
    let secret_tail = b64url(&id.to_bytes()[3 + 83..]);
    assert!(!shown.contains(&secret_tail));
}
