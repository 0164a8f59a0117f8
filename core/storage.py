"""Production's static files storage: whitenoise's (hashed names, compressed copies), with each file's address
worked out once per process.

Every page asks for the addresses of its stylesheets and scripts, about ten of them, and each cost a look-up in the
manifest and two URL parsings: a fifth of rendering a page's frame. The manifest is read when the process starts
and does not change while it runs (a deployment collects the files, then starts new workers), so the answers are
kept; collecting the files in the same process starts them afresh.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def post_process(self, *args, **kwargs):
        self._urls = {}
        yield from super().post_process(*args, **kwargs)
        self._urls = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force)
        url = self._urls.get(name)
        if url is None:
            url = self._urls[name] = super().url(name)
        return url
