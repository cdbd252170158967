// STUB for host compilation and tests only — not Firebase (see README.md).
package com.google.firebase

import android.content.Context

/** STUB of FirebaseApp: never configured, as in a build without google-services.json. */
class FirebaseApp private constructor() {
    companion object {
        @JvmStatic fun getApps(context: Context): List<FirebaseApp> = emptyList()
    }
}
