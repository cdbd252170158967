// Root build: plugin versions only; the app module is app/build.gradle.kts.
plugins {
    id("com.android.application") version "8.7.3" apply false
    id("org.jetbrains.kotlin.android") version "2.1.0" apply false
    // Applied by app/ only when app/google-services.json exists (FCM).
    id("com.google.gms.google-services") version "4.4.2" apply false
}
