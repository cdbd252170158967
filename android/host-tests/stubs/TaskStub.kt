// STUB for host compilation and tests only — not Play services (see README.md).
package com.google.android.gms.tasks

/** STUB of OnSuccessListener. */
fun interface OnSuccessListener<T> { fun onSuccess(result: T) }

/** STUB of OnFailureListener. */
fun interface OnFailureListener { fun onFailure(e: Exception) }

/** STUB of Task: already complete, calls listeners at once. */
class Task<T> private constructor(private val result: T?, private val error: Exception?) {
    fun addOnSuccessListener(listener: OnSuccessListener<in T>): Task<T> {
        @Suppress("UNCHECKED_CAST")
        if (error == null) listener.onSuccess(result as T)
        return this
    }

    fun addOnFailureListener(listener: OnFailureListener): Task<T> {
        if (error != null) listener.onFailure(error)
        return this
    }

    companion object {
        fun <T> failed(e: Exception): Task<T> = Task(null, e)
    }
}
