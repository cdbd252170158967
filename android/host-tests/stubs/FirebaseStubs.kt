// STUBS for host compilation and tests only — not Firebase (see README.md).
// Signatures mirror firebase-messaging 24.x / play-services-tasks as used by
// KlaxonMessagingService.kt; behaviour is the minimum the tests need.
@file:Suppress("unused")

package com.google.firebase.messaging

import android.app.Service
import android.content.Intent
import android.os.IBinder
import com.google.android.gms.tasks.Task

/** STUB of FirebaseMessagingService: the two callbacks the app overrides. */
abstract class FirebaseMessagingService : Service() {
    open fun onMessageReceived(message: RemoteMessage) {}
    open fun onNewToken(token: String) {}
    override fun onBind(intent: Intent?): IBinder? = null
}

/** STUB of RemoteMessage: a data message is its data map. */
class RemoteMessage(val data: Map<String, String>)

/** STUB of FirebaseMessaging: the token request always fails (no Play services here). */
class FirebaseMessaging private constructor() {
    val token: Task<String> get() = Task.failed(IllegalStateException("Firebase stub: no Google Play services"))

    companion object {
        @JvmStatic fun getInstance(): FirebaseMessaging = FirebaseMessaging()
    }
}
