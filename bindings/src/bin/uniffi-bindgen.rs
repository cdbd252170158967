//! The workspace's `uniffi-bindgen`: generates the Kotlin and Swift
//! bindings from the built cdylib (library mode). See scripts/gen-bindings.sh.

fn main() {
    uniffi::uniffi_bindgen_main()
}
