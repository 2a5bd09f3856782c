"""The DCAT-AP catalogue as rendered by the background job, shared by every web process (see
pilots.services.catalogue): a cold render of thousands of datasets takes seconds, and no visitor should wait for it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from pilots.models.base import Base, utcnow


class RenderedCatalogue(Base):
    """One serialisation of the catalogue, keyed by its ETag (which changes with the data, the base URL and the
    format): a row is never updated, only replaced by the next render's rows."""

    __tablename__ = "rendered_catalogues"

    etag: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    format: Mapped[str] = mapped_column(sa.String(16))
    media_type: Mapped[str] = mapped_column(sa.String(64))
    body: Mapped[bytes] = mapped_column(sa.LargeBinary)
    rendered_at: Mapped[datetime] = mapped_column(default=utcnow)
