"""Flask extensions, created unbound here and attached to an app in the factory."""

from __future__ import annotations

from flask.wrappers import Response
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from pilots.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()
# No default limits: each route that needs throttling says so (login, later the public API).
limiter = Limiter(key_func=get_remote_address)


class Compression(Compress):
    """Flask-Compress (brotli, gzip; settings in :class:`pilots.config.Config`), made for each app in the factory:
    it keeps an app's settings on the instance. A partial response (206, a Range request) stays as it is: its
    Content-Range counts the bytes of the file itself."""

    def after_request(self, response: Response | None) -> Response:
        if response is not None and response.status_code == 206:
            return response
        return super().after_request(response)
