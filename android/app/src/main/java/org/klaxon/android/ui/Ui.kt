package org.klaxon.android.ui

import android.app.Activity
import android.graphics.Typeface
import android.view.View
import android.widget.Button
import android.widget.LinearLayout
import android.widget.ScrollView
import android.widget.TextView
import java.time.Instant
import java.time.ZoneId
import java.time.format.DateTimeFormatter
import java.time.format.FormatStyle

/**
 * The few building blocks the screens are made of: a scrolling column of
 * headings, text and buttons, built in code (platform views, no AndroidX).
 */
class Column(private val activity: Activity) {
    val root = LinearLayout(activity).apply {
        orientation = LinearLayout.VERTICAL
        val pad = (16 * activity.resources.displayMetrics.density).toInt()
        setPadding(pad, pad, pad, pad)
    }

    /** Puts the column on screen, inside a ScrollView. */
    fun show() = activity.setContentView(ScrollView(activity).apply { addView(root) })

    fun clear() = root.removeAllViews()

    fun heading(text: String, size: Float = 22f): TextView = add(
        TextView(activity).apply {
            this.text = text
            textSize = size
            setTypeface(typeface, Typeface.BOLD)
            setPadding(0, 24, 0, 8)
        },
    )

    fun text(text: String, size: Float = 16f): TextView = add(
        TextView(activity).apply {
            this.text = text
            textSize = size
            setTextIsSelectable(true)
        },
    )

    fun button(label: String, onClick: () -> Unit): Button = add(
        Button(activity).apply {
            text = label
            setOnClickListener { onClick() }
        },
    )

    fun <V : View> add(view: V): V {
        root.addView(view)
        return view
    }
}

/** Instants in the user's own zone, as people read them. */
object Times {
    private val format = DateTimeFormatter.ofLocalizedDateTime(FormatStyle.MEDIUM, FormatStyle.SHORT)

    fun local(at: Instant, zone: ZoneId = ZoneId.systemDefault()): String = format.format(at.atZone(zone))
}
