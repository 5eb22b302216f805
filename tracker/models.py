"""Every model module, imported once so the metadata is complete (migrations, create_all)."""

from tracker import audit  # noqa: F401
from tracker.api import models as api_models  # noqa: F401
from tracker.auth import models as auth_models  # noqa: F401
from tracker.links import models as link_models  # noqa: F401
from tracker.notices import models as notice_models  # noqa: F401
from tracker.notify import models as notify_models  # noqa: F401
from tracker.plans import models as plan_models  # noqa: F401
from tracker.scoring import models as scoring_models  # noqa: F401
from tracker.tally import models as tally_models  # noqa: F401
from tracker.tasks import models as task_models  # noqa: F401
from tracker.units import models as unit_models  # noqa: F401
