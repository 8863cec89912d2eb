"""Every table, imported in one place for Alembic and for create-all in benchmarks."""
from control.automation.models import Change, ChangeTarget  # noqa: F401
from control.cloud.models import (  # noqa: F401
                                  Attachment,
                                  CapacityPool,
                                  CloudRequest,
                                  DeliveredItem,
                                  DepartmentQuota,
                                  ResourceLine,
)
from control.core.accounts import Department, LoginFailure, User  # noqa: F401
from control.core.audit import AuditEntry  # noqa: F401
from control.core.calendar import CalendarDay, CalendarYear  # noqa: F401
from control.core.jobs import JobRun  # noqa: F401
from control.core.runs import Run, RunEvent, RunWorker  # noqa: F401
from control.core.sessions import UserSession  # noqa: F401
from control.core.workflow import WorkflowAuthor, WorkflowStage  # noqa: F401
from control.devices.models import Device, DeviceBackup  # noqa: F401
from control.migration.models import (  # noqa: F401
                                  MigrationPlan,
                                  PlanDocument,
                                  PlanException,
                                  PlanNetwork,
                                  PlanSystem,
)
from control.networks.models import CarrierLine, NetworkSystem, PrivateNetwork  # noqa: F401
from control.systems.models import InformationSystem, SystemSharing  # noqa: F401
from control.zombies.models import UsageSummary, UsageTile, ZombieCase, ZombieScan, ZombieVerdict  # noqa: F401
