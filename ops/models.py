"""One row per run of a scheduled job and period: the row is the claim, so a period runs once however many workers."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    job = models.CharField(_("job"), max_length=50)
    # The period the run is for: "2026-11" (monthly), "2026-W48" (weekly), "2026-11-30" (daily).
    period = models.CharField(_("period"), max_length=20)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(_("result"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    # What the job printed (counts, never patient data), or the error.
    output = models.TextField(_("output"), blank=True)

    class Meta:
        verbose_name = _("scheduled job run")
        verbose_name_plural = _("scheduled job runs")
        ordering = ["-started_at"]
        constraints = [models.UniqueConstraint(fields=["job", "period"], name="one_run_per_job_and_period")]

    def __str__(self):
        return f"{self.job} {self.period}"

    @property
    def duration(self):
        return self.finished_at - self.started_at if self.finished_at else None
