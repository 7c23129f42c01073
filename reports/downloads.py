"""The download of a finished export job's file, shared by the page and the API."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest

from cnt_detox.core.audit import Client
from reports import jobs, services
from reports.models import ExportJob


def job_file_response(request: HttpRequest, job: ExportJob) -> FileResponse:
    """The file as an attachment with its digest; the download is audited.

    The caller has checked access and that the job is done and its file still there. The
    file is opened before the audit row is written, so no download is recorded for a file
    that could not be opened.
    """
    handle = jobs.job_path(job).open("rb")
    services.export_job_download(actor=request.user, job=job, client=Client.from_request(request))
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=job.file_name,
        content_type=jobs.CONTENT_TYPES[job.format],
    )
    response["X-Content-SHA256"] = job.file_sha256
    return response
