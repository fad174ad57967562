"""Exceptions raised by hedong-geo.

Each subclass also subclasses the matching built-in, so callers may catch either.
"""


class HedongGeoError(Exception):
    """Base class of every error hedong-geo raises on purpose."""


class CitationError(HedongGeoError, ValueError):
    """A citation names an unknown block, or its quote is not in that block."""


class UnknownIdError(HedongGeoError, KeyError):
    """An id (block, feature, layer, document) that does not exist."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class LayerError(HedongGeoError, ValueError):
    """A layer file that cannot be read or breaks the layer schema."""


class ExportError(HedongGeoError, ValueError):
    """An export request that cannot be carried out."""


class WriteError(HedongGeoError, OSError):
    """A file or folder that cannot be written; what was there before is left as it was."""


class UploadError(HedongGeoError, ValueError):
    """An uploaded site file that cannot be used; the message names the file and the problem."""


class UploadTooLargeError(UploadError):
    """An upload over a limit: bytes, vertices, features or the files inside a zip."""


class UploadFormatError(UploadError):
    """An upload in a format we do not read, or a file that is not what its name says."""


class UploadCRSError(UploadError):
    """An upload whose coordinate system is unknown, unsupported or cannot be detected."""


class UploadGeometryError(UploadError):
    """An upload with no usable area (only points or lines, empty) or lying outside Tianjin."""
