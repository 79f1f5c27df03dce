"""What other domains and the composition root may use of reports."""

from services.reports import data, mail
from services.reports.data import Figures, MonthFigures, ReportData, report_data
from services.reports.mail import TOPIC as MAIL_TOPIC
from services.reports.tasks import SEND_MONTHLY

__all__ = [
    "MAIL_TOPIC",
    "SEND_MONTHLY",
    "Figures",
    "MonthFigures",
    "ReportData",
    "data",
    "mail",
    "report_data",
]
