// The Klaxon app: platform APIs only (no AndroidX), the core as a native
// library per ABI (built by ../scripts/build-core.sh with cargo-ndk) and
// its UniFFI Kotlin bindings generated into build/generated/.
plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

// FCM needs the project's google-services.json; without it the app still
// builds and pages arrive over the relay's event stream instead.
if (file("google-services.json").exists()) {
    apply(plugin = "com.google.gms.google-services")
}

val coreBindings = layout.buildDirectory.dir("generated/klaxon/kotlin")

android {
    namespace = "org.klaxon.android"
    compileSdk = 35
    // The NDK cargo-ndk uses; install it with the SDK manager (README.md).
    ndkVersion = "27.2.12479018"

    defaultConfig {
        applicationId = "org.klaxon.android"
        minSdk = 26
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        ndk { abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64") }
    }

    buildTypes {
        release {
            isMinifyEnabled = false
            signingConfig = signingConfigs.getByName("debug")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions { jvmTarget = "17" }

    sourceSets["main"].java.srcDir(coreBindings)
    // jniLibs/ is filled by buildCore below (the default source dir).
    packaging { jniLibs.keepDebugSymbols += "**/libklaxon_ffi.so" }
}

// Cross-compiles klaxon-ffi for every ABI into src/main/jniLibs and
// generates the Kotlin bindings into build/generated/klaxon/kotlin.
val buildCore by tasks.registering(Exec::class) {
    description = "Builds the Rust core (cargo-ndk) and its Kotlin bindings"
    workingDir = rootDir
    commandLine("bash", "scripts/build-core.sh", "--release")
    environment("ANDROID_NDK_HOME", android.ndkDirectory.absolutePath)
    inputs.files(fileTree("../../core/domain/src"), fileTree("../../core/crypto/src"), fileTree("../../core/device/src"), fileTree("../../bindings/src"))
    outputs.dir("src/main/jniLibs")
    outputs.dir(coreBindings)
}
tasks.named("preBuild") { dependsOn(buildCore) }

dependencies {
    // UniFFI's generated Kotlin calls the core through JNA (the aar carries libjnidispatch per ABI).
    implementation("net.java.dev.jna:jna:5.15.0@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.9.0")
    // Only KlaxonMessagingService.kt uses it.
    implementation("com.google.firebase:firebase-messaging:24.1.0")
}
