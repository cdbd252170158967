// Robolectric's JobScheduler accepts any job; Android 14+ (for an app
// targeting 34+) throws SecurityException for a job with a network
// constraint when the app lacks ACCESS_NETWORK_STATE
// (JobSchedulerService.enforceValidJobRequest). This shadow adds that rule,
// so the permission the app holds decides, as on a phone.
package org.klaxon.android.tests

import android.Manifest
import android.app.job.JobInfo
import android.content.pm.PackageManager
import org.robolectric.RuntimeEnvironment
import org.robolectric.annotation.Implementation
import org.robolectric.annotation.Implements
import org.robolectric.shadows.ShadowJobScheduler

@Implements(className = "android.app.JobSchedulerImpl", isInAndroidSdk = false)
class JobSchedulerShadow : ShadowJobScheduler.ShadowJobSchedulerImpl() {
    @Implementation
    override fun schedule(job: JobInfo): Int {
        val app = RuntimeEnvironment.getApplication()
        if (job.requiredNetwork != null &&
            app.checkSelfPermission(Manifest.permission.ACCESS_NETWORK_STATE) != PackageManager.PERMISSION_GRANTED
        ) {
            throw SecurityException("${app.packageName} requested a job with a network constraint without ACCESS_NETWORK_STATE")
        }
        return super.schedule(job)
    }
}
