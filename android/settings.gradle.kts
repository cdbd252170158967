// The Klaxon Android shell. Open this directory in Android Studio, or run
// ./gradlew assembleDebug (see README.md; the core's .so files come from
// scripts/build-core.sh).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "klaxon-android"
include(":app")
