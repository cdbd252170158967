package org.klaxon.android.ui

import android.app.Activity
import android.os.Build
import android.os.Bundle
import android.text.InputType
import android.widget.EditText
import kotlinx.coroutines.runBlocking
import org.klaxon.android.Background
import org.klaxon.android.Core
import org.klaxon.android.push.PushSetup

/**
 * Enrollment: the relay's URL and the one-time code from `klaxon invite`.
 * Core creates the device keys and trades the code for a device identity.
 */
class EnrollActivity : Activity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val column = Column(this)
        column.heading("Enroll this phone")
        column.text("Ask your Klaxon admin for the relay's address and a one-time code (klaxon invite).")
        val relay = column.add(EditText(this).apply {
            hint = "https://relay.example.com"
            inputType = InputType.TYPE_TEXT_VARIATION_URI
        })
        val code = column.add(EditText(this).apply { hint = "One-time code" })
        val status = column.text("")
        column.button("Enroll") {
            status.text = "Enrolling…"
            val url = relay.text.toString().trim()
            val oneTime = code.text.toString().trim()
            Background.load({
                val pager = Core.useRelay(this, url)
                runBlocking { pager.enroll(oneTime, "${Build.MANUFACTURER} ${Build.MODEL}") }
            }) { result ->
                result.fold(
                    { enrollment ->
                        status.text = "Enrolled as ${enrollment.person}."
                        PushSetup.start(this)
                        finish()
                    },
                    { status.text = "Could not enroll: ${it.message}" },
                )
            }
        }
        column.show()
    }
}
