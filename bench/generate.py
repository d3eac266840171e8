"""A fast bulk generator of realistic petitions and cases, for benchmarks at scale.

    .venv/bin/python bench/generate.py --cases 100000 [--database-url URL] [--seed 1] [--days 365]
        [--defer-indexes] [--method copy|bulk_create]

Writes ``Petition`` + ``Case`` + the case's first ``CaseEvent`` (``submitted``) in batches
(one transaction each, ``synchronous_commit`` off on PostgreSQL): with ``COPY`` and ids
taken from the tables' sequences on PostgreSQL (the default: faster), with Django's
``bulk_create`` elsewhere or with ``--method bulk_create``. The next batch is made in a
thread while the database writes the current one; ``--defer-indexes`` drops the plain
indexes of the three tables during the load and builds them afterwards (see ``generate``).
Never through the services: no notifications, no search outbox rows, no per-row signals.
The rows are what the services would have written for a case that went through its
lifecycle up to today, except that only the first event of the timeline exists and
``version`` stays 1:

- Vietnamese titles and texts (NFC, with tone marks) composed from a vocabulary of
  about twenty petition topics (ngập lụt, đường, rác thải, tiếng ồn, đất đai, điện,
  nước sạch, trường học, bệnh viện, ô nhiễm, vỉa hè, trợ cấp, thủ tục, cán bộ, an ninh,
  xây dựng, cây xanh, chó thả rông, sạt lở), each with its category, seasons, request
  sentences and official responses; ``search_text`` as ``petition_submit`` writes it
  (``search.documents.search_text``: whole folded words, title | text);
- places from the organisation's units (``manage.py load_units`` is run if there are
  none): busy cities, busier wards than rural communes, streets, lanes (ngõ, hẻm,
  kiệt), for a third of the petitions a point in the commune: uniform over a disc as large as
  the commune (√(area / π) km) around its centre, from the units' ``latitude``, ``longitude``
  and ``area_km2`` (``routing.geodata.point_near``);
- times over the last ``days`` days (growing volume, office hours, quieter weekends
  and holidays, a rainy season, two topics rising over the last two weeks);
- states from each case's own timeline (triage, referral to an agency, drafted and
  published response, citizen's rating or automatic close, rejection, duplicate,
  withdrawal, stalled cases) cut at ``now``; deadlines in Vietnamese working days
  from the SLA policies; overdue marks; escalations to the province and to central;
  an assignee among the unit's staff when the database has memberships.

Petition number ``k`` of a seed gets a tracking code derived from ``k`` (unique per
seed; a clash with an existing code is replaced by a random one). Generated
petitions carry ``request_fingerprint = "bench-<seed>"``, so a later call with the
same seed continues the numbering. Batches are seeded from (seed, first number):
the same call with the same ``now`` on an empty database writes the same rows (but
for ``token_hash``, random: no token opens a generated petition's private link).

Importable: ``generate(n, seed=..., batch=...)`` sets Django up itself if needed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import math
import os
import queue
import random
import re
import secrets
import signal
import sys
import threading
import time
import unicodedata
from bisect import bisect
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple, cast
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

DEFAULT_DAYS = 365
MARKER_PREFIX = "bench-"


def setup_django(database_url: str | None = None) -> None:
    """``django.setup()`` once; ``database_url`` (if given) must come before the settings are read."""
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


def ensure_database(database_url: str) -> bool:
    """Create the PostgreSQL database of ``database_url`` if it does not exist; True if created.

    Connects to the server's ``postgres`` database with autocommit. SQLite URLs are left alone.
    """
    from urllib.parse import urlsplit

    import psycopg
    from psycopg import sql

    parts = urlsplit(database_url)
    if parts.scheme not in ("postgres", "postgresql"):
        return False
    name = parts.path.lstrip("/")
    if not name:
        raise SystemExit(f"no database name in {database_url}")
    admin = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def prepare_database(database_url: str | None = None, *, verbose: bool = True) -> None:
    """Create (PostgreSQL) and migrate the database, and load the units if there are none."""
    if database_url:
        created = ensure_database(database_url)
        if created and verbose:
            print(f"created database {database_url}")
    setup_django(database_url)
    from django.core.management import call_command

    from routing.models import Unit
    from routing.units import load_units

    call_command("migrate", verbosity=0, interactive=False)
    if not Unit.objects.exists():
        report = load_units()
        if verbose:
            print(f"loaded {report.created} units")


# --- vocabulary -----------------------------------------------------------------------------------
# Placeholders: {street} "đường Lê Lợi", {lane} "ngõ 25 đường Lê Lợi", {commune} "phường Hoàn Kiếm",
# {no} a house number, {months}, {days}, {n} small numbers. Titles get their first letter capitalised.


def _split(text: str, separator: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(separator))


class Topic(NamedTuple):
    key: str
    #: (category code, weight): the topic's petitions are filed under these categories.
    categories: tuple[tuple[str, float], ...]
    weight: float
    #: month → weight multiplier (rainy season, school year, harvest...).
    seasons: dict[int, float]
    titles: tuple[str, ...]
    problems: tuple[str, ...]
    requests: tuple[str, ...]
    responses: tuple[str, ...]
    agencies: tuple[str, ...]


TOPICS: tuple[Topic, ...] = (
    Topic(
        "flooding",
        (("transport", 3), ("environment", 2)),
        9,
        {6: 1.5, 7: 2.0, 8: 2.5, 9: 2.5, 10: 3.0, 11: 2.5},
        (
            "Ngập lụt kéo dài ở {street} sau mỗi trận mưa",
            "{street} ngập sâu, nước tràn vào nhà dân",
            "Cống thoát nước tắc gây ngập úng tại {lane}",
            "Đề nghị nạo vét kênh mương chống ngập lụt ở {commune}",
            "Ngập úng khu dân cư mỗi khi triều cường",
            "Ngập lụt ở {lane}, học sinh không thể đến trường",
        ),
        (
            "Chỉ cần mưa khoảng 30 phút là {street} ngập sâu 40–50 cm, nước tràn vào nhà dân, xe máy chết máy giữa đường.",
            "Hệ thống cống thoát nước đã xuống cấp, nhiều miệng cống bị rác và bùn đất bịt kín nên nước rút rất chậm.",
            "Sau trận mưa lớn tuần trước, nhiều hộ ở {lane} bị ngập lụt suốt hai ngày, đồ đạc hư hỏng, học sinh không thể đến trường.",
            "Khi triều cường kết hợp mưa lớn, nước từ kênh tràn ngược lên đường, mùi hôi bốc lên khắp khu dân cư.",
            "Dự án nâng cấp đường làm cao mặt đường nên nhà dân hai bên thấp hơn và bị ngập úng mỗi khi mưa.",
        ),
        (
            "Đề nghị nạo vét hệ thống thoát nước và có giải pháp chống ngập lâu dài cho khu vực.",
            "Kính đề nghị bố trí máy bơm tiêu úng và khơi thông cống rãnh trước mùa mưa bão.",
        ),
        (
            "Đơn vị quản lý thoát nước đã nạo vét toàn bộ tuyến cống trên {street}, lắp thêm hố ga thu nước; dự án cải tạo hệ thống thoát nước của khu vực đã được đưa vào kế hoạch đầu tư năm tới.",
            "Ủy ban đã bố trí máy bơm tiêu úng cố định tại điểm ngập và chỉ đạo khơi thông các miệng cống; tình trạng ngập lụt sẽ được theo dõi trong các đợt mưa tới.",
        ),
        ("Công ty Thoát nước và Xử lý nước thải", "Ban Quản lý dự án đầu tư xây dựng công trình giao thông"),
    ),
    Topic(
        "roads",
        (("transport", 1),),
        10,
        {},
        (
            "{street} xuống cấp nghiêm trọng, nhiều ổ gà",
            "Mặt đường {lane} hư hỏng nặng sau khi thi công",
            "Đề nghị sửa chữa tuyến đường liên thôn ở {commune}",
            "Đường vào khu dân cư lầy lội, xe cứu thương không vào được",
            "Nắp hố ga trên {street} bị vỡ gây nguy hiểm",
            "Xe quá tải làm hư hỏng đường mới làm",
        ),
        (
            "Mặt đường bong tróc, xuất hiện nhiều ổ gà sâu, trời mưa đọng nước nên người đi xe máy thường xuyên bị ngã.",
            "Sau khi đơn vị thi công đào đường lắp đặt đường ống, phần hoàn trả mặt đường không bảo đảm, lún sụt và đá dăm văng ra khắp nơi.",
            "Con đường là lối đi duy nhất của hơn 200 hộ dân và học sinh của hai trường học nhưng đã nhiều năm chưa được nâng cấp.",
            "Xe tải chở vật liệu quá khổ quá tải chạy liên tục khiến con đường mới làm chưa được một năm đã hư hỏng.",
        ),
        (
            "Đề nghị sớm sửa chữa mặt đường và kiểm tra chất lượng công trình hoàn trả.",
            "Kính đề nghị đưa tuyến đường vào kế hoạch nâng cấp và cắm biển hạn chế tải trọng.",
        ),
        (
            "Đơn vị quản lý hạ tầng giao thông đã vá các ổ gà và thảm lại đoạn đường hư hỏng; đơn vị thi công đã được yêu cầu hoàn trả mặt đường đúng quy chuẩn.",
            "Tuyến đường đã được đưa vào danh mục duy tu, sửa chữa của năm nay; trong thời gian chờ thi công, biển cảnh báo đã được lắp đặt tại các vị trí nguy hiểm.",
        ),
        ("Sở Xây dựng", "Ban Quản lý dự án đầu tư xây dựng khu vực"),
    ),
    Topic(
        "garbage",
        (("environment", 1),),
        11,
        {1: 1.3, 2: 1.3},
        (
            "Rác thải tồn đọng nhiều ngày ở {lane}",
            "Bãi rác tự phát gây ô nhiễm tại {commune}",
            "Xe thu gom rác không đến đúng lịch",
            "Đổ trộm phế thải xây dựng ven {street}",
            "Điểm tập kết rác thải bốc mùi hôi thối",
        ),
        (
            "Rác thải sinh hoạt bị dồn ở đầu ngõ nhiều ngày không được thu gom, bốc mùi hôi thối, ruồi nhặng bu kín.",
            "Một số người đổ trộm rác thải và phế thải xây dựng xuống bãi đất trống cạnh khu dân cư vào ban đêm.",
            "Xe thu gom rác chỉ đến hai ngày một lần, giờ giấc thất thường, người dân phải để rác ngoài đường.",
            "Nước rỉ từ điểm tập kết rác chảy tràn ra mặt đường, trời nắng mùi hôi lan vào tận trong nhà.",
        ),
        (
            "Đề nghị tăng tần suất thu gom rác thải và xử lý nghiêm người đổ trộm.",
            "Kính đề nghị di dời điểm tập kết rác ra xa khu dân cư và lắp camera giám sát.",
        ),
        (
            "Công ty môi trường đô thị đã thu dọn toàn bộ rác tồn đọng và điều chỉnh lịch thu gom hằng ngày vào khung giờ cố định; tổ dân phố được giao giám sát việc đổ rác đúng giờ.",
            "Lực lượng chức năng đã lắp camera tại điểm đổ trộm và xử phạt hai trường hợp vi phạm; bãi rác tự phát đã được dọn sạch và rào chắn.",
        ),
        ("Công ty Môi trường đô thị", "Sở Nông nghiệp và Môi trường"),
    ),
    Topic(
        "noise",
        (("public-order", 2), ("environment", 1)),
        7,
        {},
        (
            "Karaoke gây tiếng ồn về đêm ở {lane}",
            "Tiếng ồn từ công trường thi công ban đêm",
            "Quán nhậu trên {street} gây ồn ào đến khuya",
            "Xưởng cơ khí gây tiếng ồn trong khu dân cư",
        ),
        (
            "Hộ gia đình ở số {no} hát karaoke với loa công suất lớn từ chiều đến gần nửa đêm, kể cả những ngày trong tuần.",
            "Công trường gần nhà thi công đổ bê tông và máy khoan cọc hoạt động suốt đêm, tiếng ồn và rung chấn khiến người dân mất ngủ.",
            "Tiếng ồn kéo dài ảnh hưởng đến việc học tập của học sinh và sức khỏe của người già, người bệnh trong khu vực.",
            "Người dân đã nhắc nhở nhiều lần nhưng chủ cơ sở vẫn không chấp hành, thậm chí còn có lời lẽ thiếu văn hóa.",
        ),
        (
            "Đề nghị kiểm tra, đo mức tiếng ồn và xử phạt theo quy định.",
            "Kính đề nghị yêu cầu chủ công trình không thi công trong giờ nghỉ ngơi của người dân.",
        ),
        (
            "Công an phường đã làm việc với hộ gia đình, lập biên bản và xử phạt hành chính hành vi gây tiếng ồn vượt mức cho phép; hộ gia đình đã cam kết không tái phạm.",
            "Chủ đầu tư công trình đã được yêu cầu chỉ thi công từ 6 giờ đến 22 giờ; đoàn kiểm tra sẽ kiểm tra đột xuất việc chấp hành.",
        ),
        ("Công an cấp xã", "Thanh tra Sở Xây dựng"),
    ),
    Topic(
        "land",
        (("land-housing", 1),),
        10,
        {},
        (
            "Tranh chấp đất đai với hộ liền kề chưa được giải quyết",
            "Chậm cấp giấy chứng nhận quyền sử dụng đất",
            "Lấn chiếm đất công tại {lane}",
            "Bồi thường giải phóng mặt bằng chưa thỏa đáng",
            "Đề nghị công khai quy hoạch sử dụng đất tại {commune}",
        ),
        (
            "Gia đình tôi nộp hồ sơ cấp giấy chứng nhận quyền sử dụng đất từ {months} tháng trước, đã quá hạn trên phiếu hẹn nhưng vẫn chưa có kết quả.",
            "Hộ liền kề tự ý xây tường rào lấn sang phần đất của gia đình tôi khoảng 1,5 m, hòa giải ở thôn hai lần không thành.",
            "Một số hộ rào chắn, xây dựng công trình trên phần đất công dùng làm lối đi chung và sân chơi của khu dân cư.",
            "Đơn giá bồi thường đất đai thấp hơn nhiều so với giá thị trường, phần tài sản trên đất chưa được kiểm đếm đầy đủ.",
        ),
        (
            "Đề nghị cơ quan chức năng kiểm tra, đo đạc lại ranh giới và giải quyết dứt điểm tranh chấp đất đai.",
            "Kính đề nghị cho biết hồ sơ đang vướng ở khâu nào và thời hạn trả kết quả.",
        ),
        (
            "Cán bộ địa chính đã đo đạc, xác định ranh giới thửa đất; tại buổi hòa giải, hai hộ đã thống nhất phương án và ký biên bản.",
            "Hồ sơ đã được chuyển Văn phòng Đăng ký đất đai; giấy chứng nhận quyền sử dụng đất dự kiến được trả trong 10 ngày làm việc.",
        ),
        (
            "Văn phòng Đăng ký đất đai",
            "Sở Nông nghiệp và Môi trường",
            "Hội đồng bồi thường, hỗ trợ và tái định cư",
        ),
    ),
    Topic(
        "electricity",
        (("transport", 2), ("other", 1)),
        6,
        {5: 1.6, 6: 1.8, 7: 1.6},
        (
            "Mất điện kéo dài không báo trước ở {commune}",
            "Đường dây điện võng thấp, nguy cơ mất an toàn",
            "Đèn chiếu sáng công cộng trên {street} hỏng nhiều tháng",
            "Hóa đơn tiền điện tăng bất thường",
            "Cột điện nghiêng sau bão tại {lane}",
        ),
        (
            "Khu vực thường xuyên mất điện vào buổi tối, có hôm mất điện cả ngày mà không có thông báo lịch cắt điện.",
            "Đường dây điện hạ thế võng thấp ngang đầu người, đi qua mái tôn nhà dân, mỗi khi mưa gió có tia lửa điện.",
            "Cả tuyến đường không có đèn chiếu sáng, buổi tối tối om, đã xảy ra nhiều vụ cướp giật và tai nạn giao thông.",
            "Hóa đơn tiền điện tháng này tăng gấp đôi so với cùng kỳ dù gia đình không sử dụng thêm thiết bị nào.",
        ),
        (
            "Đề nghị ngành điện kiểm tra, khắc phục và thông báo lịch cắt điện cho người dân.",
            "Kính đề nghị sửa chữa hệ thống đèn chiếu sáng công cộng để bảo đảm an toàn.",
        ),
        (
            "Điện lực khu vực đã thay dây dẫn, nâng độ cao đường dây và lắp đặt thêm trạm biến áp để giảm quá tải; lịch cắt điện được thông báo trước trên loa phát thanh và tin nhắn.",
            "Đơn vị quản lý chiếu sáng đã thay bóng đèn và sửa tủ điện điều khiển; toàn tuyến đã có điện chiếu sáng trở lại.",
        ),
        ("Công ty Điện lực", "Công ty Chiếu sáng công cộng"),
    ),
    Topic(
        "water",
        (("environment", 2), ("other", 1)),
        6,
        {3: 1.4, 4: 1.6, 5: 1.4},
        (
            "Nước sinh hoạt có mùi lạ, màu vàng đục",
            "Mất nước sạch nhiều ngày ở {lane}",
            "Đề nghị đầu tư đường ống cấp nước sạch cho {commune}",
            "Giếng khoan nhiễm phèn, người dân thiếu nước sạch",
        ),
        (
            "Nước máy chảy ra có màu vàng đục, mùi tanh, để lắng có cặn đen, người dân không dám dùng để nấu ăn.",
            "Khu vực bị mất nước sạch từ {days} ngày nay, người dân phải mua nước bình để sinh hoạt, công ty cấp nước không thông báo lý do.",
            "Đường ống nước sạch chưa được kéo đến thôn, nhiều hộ vẫn dùng nước giếng khoan nhiễm phèn, mùa khô thiếu nước nghiêm trọng.",
            "Áp lực nước rất yếu, các hộ ở cuối tuyến chỉ có nước vào ban đêm.",
        ),
        (
            "Đề nghị kiểm tra chất lượng nước sạch và công bố kết quả cho người dân.",
            "Kính đề nghị sớm đầu tư mở rộng mạng lưới cấp nước sạch đến khu dân cư.",
        ),
        (
            "Công ty cấp nước đã súc xả đường ống, lấy mẫu xét nghiệm; kết quả chất lượng nước đạt quy chuẩn và được niêm yết tại nhà văn hóa.",
            "Dự án mở rộng mạng lưới cấp nước sạch đến khu dân cư đã được phê duyệt, dự kiến hoàn thành trong năm tới; trước mắt xe bồn cấp nước miễn phí cho các hộ khó khăn.",
        ),
        ("Công ty Cấp nước", "Trung tâm Nước sạch và Vệ sinh môi trường nông thôn"),
    ),
    Topic(
        "schools",
        (("education", 1),),
        6,
        {8: 2.0, 9: 2.2, 10: 1.3},
        (
            "Trường học thu các khoản ngoài quy định",
            "Thiếu phòng học, học sinh phải học ca ba",
            "Ùn tắc giao thông trước cổng trường giờ tan học",
            "Đề nghị sửa chữa trường mầm non xuống cấp ở {commune}",
            "Bếp ăn bán trú của trường không bảo đảm vệ sinh",
        ),
        (
            "Đầu năm học, trường thu nhiều khoản như quỹ lớp, tiền máy lọc nước, tiền học thêm bắt buộc, tổng cộng vài triệu đồng mỗi học sinh.",
            "Trường học chỉ có 12 phòng học cho gần 800 học sinh, nhiều lớp phải học ghép, bàn ghế cũ hỏng.",
            "Giờ tan học, phụ huynh dừng đỗ xe tràn xuống lòng đường trước cổng trường, ùn tắc kéo dài, rất nguy hiểm cho học sinh.",
            "Mái phòng học bị dột, tường nứt, sân trường ngập nước mỗi khi mưa.",
        ),
        (
            "Đề nghị kiểm tra việc thu chi đầu năm học và công khai các khoản thu.",
            "Kính đề nghị đầu tư xây thêm phòng học và sửa chữa trường lớp trước năm học mới.",
        ),
        (
            "Phòng Giáo dục đã kiểm tra, yêu cầu nhà trường hoàn trả các khoản thu không đúng quy định và công khai dự toán thu chi trên bảng tin.",
            "Công trình cải tạo trường học đã được bố trí vốn, sẽ thi công trong kỳ nghỉ hè; trong thời gian chờ, nhà trường đã sửa tạm mái dột.",
        ),
        ("Sở Giáo dục và Đào tạo",),
    ),
    Topic(
        "hospitals",
        (("health", 1),),
        5,
        {1: 1.3, 2: 1.3, 12: 1.2},
        (
            "Bệnh viện quá tải, người bệnh phải nằm ghép",
            "Thái độ của nhân viên y tế chưa đúng mực",
            "Khó khăn khi thanh toán bảo hiểm y tế",
            "Trạm y tế {commune} thiếu thuốc và trang thiết bị",
        ),
        (
            "Người nhà tôi điều trị tại bệnh viện tuyến tỉnh phải nằm ghép ba người một giường, hành lang chật kín người bệnh.",
            "Nhân viên y tế tại khoa cấp cứu có thái độ cáu gắt, hướng dẫn người bệnh thiếu rõ ràng, thời gian chờ khám kéo dài cả buổi sáng.",
            "Khi thanh toán viện phí, bệnh viện yêu cầu người bệnh tự mua một số thuốc nằm trong danh mục bảo hiểm y tế.",
            "Trạm y tế xã thường xuyên thiếu thuốc thiết yếu, người dân phải đi xa hơn 20 km để khám bệnh.",
        ),
        (
            "Đề nghị cơ quan y tế kiểm tra và chấn chỉnh việc khám chữa bệnh.",
            "Kính đề nghị bổ sung thuốc và trang thiết bị cho trạm y tế.",
        ),
        (
            "Sở Y tế đã làm việc với bệnh viện; bệnh viện đã xin lỗi người bệnh, kiểm điểm nhân viên liên quan và bổ sung bàn hướng dẫn tại khoa cấp cứu.",
            "Trạm y tế đã được cấp bổ sung thuốc thiết yếu theo danh mục bảo hiểm y tế; kế hoạch đầu tư trang thiết bị đã được trình phê duyệt.",
        ),
        ("Sở Y tế", "Bảo hiểm xã hội"),
    ),
    Topic(
        "pollution",
        (("environment", 1),),
        6,
        {5: 1.4, 6: 1.5, 10: 1.3, 11: 1.3},
        (
            "Xưởng sản xuất gây ô nhiễm không khí tại {commune}",
            "Khói bụi từ việc đốt rơm rạ ngoài đồng",
            "Cơ sở chăn nuôi heo gây ô nhiễm môi trường",
            "Nước thải chưa qua xử lý xả thẳng ra kênh",
        ),
        (
            "Xưởng sản xuất ở cuối {street} thải khói đen và mùi khét vào buổi tối, người dân phải đóng kín cửa, nhiều trẻ nhỏ bị ho kéo dài.",
            "Cơ sở chăn nuôi xả nước thải chưa qua xử lý ra kênh mương, mùi hôi nồng nặc, nước kênh đổi màu đen.",
            "Vào mùa thu hoạch, người dân đốt rơm rạ ngoài đồng khiến khói bụi bao trùm cả khu dân cư và tuyến đường.",
            "Bụi từ các xe chở đất đá không che chắn phủ kín nhà cửa hai bên đường.",
        ),
        (
            "Đề nghị cơ quan chức năng kiểm tra, quan trắc môi trường và xử lý nghiêm cơ sở gây ô nhiễm.",
            "Kính đề nghị buộc cơ sở di dời ra khỏi khu dân cư.",
        ),
        (
            "Đoàn kiểm tra liên ngành đã lấy mẫu quan trắc, xử phạt cơ sở vì xả thải vượt quy chuẩn và yêu cầu lắp đặt hệ thống xử lý trong 60 ngày.",
            "Ủy ban đã tuyên truyền, vận động người dân không đốt rơm rạ và hỗ trợ chế phẩm xử lý rơm rạ làm phân bón.",
        ),
        ("Sở Nông nghiệp và Môi trường", "Cảnh sát môi trường"),
    ),
    Topic(
        "sidewalks",
        (("public-order", 1), ("transport", 1)),
        6,
        {},
        (
            "Lấn chiếm vỉa hè để kinh doanh trên {street}",
            "Ô tô đỗ trái phép chắn lối đi ở {lane}",
            "Chợ tạm họp dưới lòng đường gây ùn tắc",
        ),
        (
            "Các hộ kinh doanh bày hàng hóa, bàn ghế kín vỉa hè, người đi bộ phải đi xuống lòng đường rất nguy hiểm.",
            "Nhiều ô tô đỗ hai bên ngõ qua đêm, xe cứu hỏa và xe cứu thương không thể vào khi có sự cố.",
            "Chợ tạm họp từ sáng sớm dưới lòng đường, xả rác bừa bãi, gây ùn tắc giao thông giờ cao điểm.",
        ),
        (
            "Đề nghị ra quân lập lại trật tự lòng đường, vỉa hè và duy trì thường xuyên.",
            "Kính đề nghị xử lý dứt điểm tình trạng lấn chiếm lòng đường, vỉa hè.",
        ),
        (
            "Tổ công tác liên ngành đã ra quân lập lại trật tự vỉa hè, xử phạt các hộ vi phạm và giao tổ dân phố theo dõi thường xuyên.",
            "Khu vực đã được kẻ vạch đỗ xe và lắp biển cấm dừng đỗ; lực lượng trật tự đô thị sẽ tuần tra vào buổi tối.",
        ),
        ("Đội Quản lý trật tự đô thị", "Công an cấp xã"),
    ),
    Topic(
        "welfare",
        (("social-welfare", 1),),
        6,
        {1: 1.5, 12: 1.3},
        (
            "Chậm chi trả trợ cấp xã hội cho người cao tuổi",
            "Gia đình khó khăn chưa được xét hộ nghèo",
            "Đề nghị hỗ trợ người khuyết tật ở {commune}",
            "Chưa nhận được tiền hỗ trợ sau thiên tai",
        ),
        (
            "Mẹ tôi năm nay 82 tuổi, thuộc diện hưởng trợ cấp xã hội hằng tháng nhưng đã {months} tháng nay chưa nhận được tiền.",
            "Gia đình tôi có hai người bệnh nặng, không có thu nhập ổn định nhưng trong đợt rà soát vừa qua không được đưa vào danh sách hộ nghèo.",
            "Sau đợt bão lũ, nhà tôi bị tốc mái, hoa màu mất trắng, đã làm hồ sơ đề nghị hỗ trợ nhưng đến nay chưa nhận được khoản hỗ trợ nào.",
        ),
        (
            "Đề nghị kiểm tra và chi trả trợ cấp đầy đủ, đúng hạn.",
            "Kính đề nghị rà soát lại danh sách hộ nghèo một cách công khai, minh bạch.",
        ),
        (
            "Ủy ban đã rà soát hồ sơ; khoản trợ cấp xã hội chậm chi trả do thay đổi tài khoản nhận, đã được chi trả bổ sung đầy đủ qua bưu điện.",
            "Hộ gia đình đã được đưa vào danh sách rà soát bổ sung hộ nghèo, kết quả sẽ được niêm yết công khai tại nhà văn hóa.",
        ),
        ("Sở Nội vụ", "Bưu điện"),
    ),
    Topic(
        "procedures",
        (("admin-procedures", 1),),
        7,
        {},
        (
            "Chậm giải quyết hồ sơ tại bộ phận một cửa",
            "Thủ tục hành chính rườm rà, phải đi lại nhiều lần",
            "Dịch vụ công trực tuyến thường xuyên bị lỗi",
            "Chậm cấp giấy khai sinh cho con",
        ),
        (
            "Tôi nộp hồ sơ tại bộ phận một cửa từ {days} ngày trước, đã quá hạn trên giấy hẹn nhưng khi hỏi chỉ được trả lời là đang chờ ký.",
            "Cán bộ tiếp nhận yêu cầu bổ sung giấy tờ nhiều lần, mỗi lần một loại, không hướng dẫn đầy đủ ngay từ đầu.",
            "Cổng dịch vụ công trực tuyến báo lỗi khi nộp hồ sơ, gọi tổng đài không được hỗ trợ, cuối cùng vẫn phải đến nộp trực tiếp.",
        ),
        (
            "Đề nghị chấn chỉnh việc giải quyết thủ tục hành chính và trả kết quả đúng hạn.",
            "Kính đề nghị hướng dẫn đầy đủ thành phần hồ sơ một lần.",
        ),
        (
            "Bộ phận một cửa đã xin lỗi công dân và trả kết quả hồ sơ; cán bộ liên quan đã bị nhắc nhở, quy trình tiếp nhận được niêm yết công khai.",
            "Lỗi trên cổng dịch vụ công đã được khắc phục; công dân có thể nộp hồ sơ trực tuyến hoặc được hỗ trợ tại quầy.",
        ),
        ("Trung tâm Phục vụ hành chính công",),
    ),
    Topic(
        "misconduct",
        (("misconduct", 1),),
        3,
        {},
        (
            "Cán bộ địa chính gây khó khăn, nhũng nhiễu",
            "Dấu hiệu sai phạm trong quản lý quỹ của thôn",
            "Cán bộ có biểu hiện vòi vĩnh khi làm thủ tục",
            "Đề nghị làm rõ việc sử dụng kinh phí xây dựng đường",
        ),
        (
            "Khi làm thủ tục tách thửa, cán bộ địa chính gợi ý phải đưa thêm tiền thì hồ sơ mới được giải quyết nhanh.",
            "Việc thu chi quỹ xây dựng đường giao thông nông thôn không được công khai, người dân đóng góp nhưng không biết số tiền được sử dụng thế nào.",
            "Con đường vừa làm xong đã nứt vỡ, người dân nghi ngờ vật liệu không đúng thiết kế và có sai phạm trong nghiệm thu.",
        ),
        (
            "Đề nghị thanh tra, làm rõ và xử lý nghiêm cán bộ vi phạm.",
            "Kính đề nghị công khai kết quả kiểm tra cho người dân được biết.",
        ),
        (
            "Đoàn thanh tra đã làm việc với các bên liên quan; cán bộ vi phạm đã bị tạm đình chỉ công tác để làm rõ, kết quả sẽ được công khai.",
            "Kết quả kiểm tra cho thấy việc thu chi quỹ chưa được công khai đúng quy định; Ủy ban đã yêu cầu công khai sổ sách và kiểm điểm người đứng đầu thôn.",
        ),
        ("Thanh tra tỉnh",),
    ),
    Topic(
        "security",
        (("public-order", 1),),
        7,
        {1: 1.4, 2: 1.3, 12: 1.3},
        (
            "Trộm cắp xe máy xảy ra thường xuyên ở {lane}",
            "Thanh thiếu niên tụ tập đua xe trái phép trên {street}",
            "Cờ bạc, đánh đề công khai tại {commune}",
            "Cho vay nặng lãi, đòi nợ kiểu khủng bố",
        ),
        (
            "Trong tháng qua đã có ít nhất {n} vụ mất trộm xe máy và tài sản trong khu dân cư, người dân rất hoang mang.",
            "Cứ tối thứ bảy, nhóm thanh thiếu niên tụ tập đua xe, nẹt pô, lạng lách trên tuyến đường gây mất an ninh trật tự.",
            "Một nhóm đối tượng cho vay nặng lãi, khi con nợ chậm trả thì tạt sơn, ném chất bẩn vào nhà dân.",
        ),
        (
            "Đề nghị công an tăng cường tuần tra, kiểm soát và xử lý nghiêm các đối tượng.",
            "Kính đề nghị lắp thêm camera an ninh tại các điểm phức tạp.",
        ),
        (
            "Công an đã tăng cường tuần tra vào ban đêm, bắt giữ hai đối tượng trộm cắp và phối hợp với tổ dân phố lắp thêm camera an ninh.",
            "Lực lượng cảnh sát cơ động đã lập chốt chặn, tạm giữ phương tiện của các đối tượng đua xe và thông báo về gia đình, nhà trường.",
        ),
        ("Công an tỉnh",),
    ),
    Topic(
        "construction",
        (("land-housing", 1),),
        6,
        {},
        (
            "Công trình xây dựng trái phép tại {lane}",
            "Nhà bên cạnh thi công làm nứt tường nhà tôi",
            "Xây dựng nhà xưởng trên đất nông nghiệp",
        ),
        (
            "Hộ gia đình số {no} {street} cơi nới thêm tầng và đổ ban công vượt chỉ giới, không có giấy phép xây dựng.",
            "Từ khi nhà bên cạnh đào móng xây mới, tường nhà tôi xuất hiện nhiều vết nứt, nền nhà bị lún.",
            "Một cơ sở xây dựng nhà xưởng kiên cố trên đất nông nghiệp, chính quyền địa phương biết nhưng chưa xử lý.",
        ),
        (
            "Đề nghị kiểm tra giấy phép xây dựng và xử lý vi phạm trật tự xây dựng.",
            "Kính đề nghị yêu cầu chủ công trình bồi thường thiệt hại và bảo đảm an toàn cho nhà liền kề.",
        ),
        (
            "Tổ kiểm tra trật tự xây dựng đã lập biên bản, yêu cầu dừng thi công và tự tháo dỡ phần sai phép trong 15 ngày.",
            "Hai bên đã thống nhất thuê đơn vị độc lập đánh giá hư hại; việc bồi thường căn cứ kết quả đánh giá, có sự chứng kiến của tổ dân phố.",
        ),
        ("Sở Xây dựng", "Thanh tra Sở Xây dựng"),
    ),
    Topic(
        "trees",
        (("environment", 1),),
        3,
        {5: 1.5, 6: 1.5, 7: 1.5, 8: 1.5},
        (
            "Cây xanh nghiêng, có nguy cơ gãy đổ trên {street}",
            "Chặt hạ cây xanh không xin phép",
        ),
        (
            "Cây xà cừ lớn trước số {no} {street} nghiêng hẳn ra lòng đường, rễ trồi lên làm vỡ vỉa hè, mùa mưa bão người dân rất lo.",
            "Một hộ kinh doanh tự ý chặt hạ hai cây bằng lăng trên vỉa hè để làm biển quảng cáo.",
        ),
        ("Đề nghị kiểm tra, cắt tỉa hoặc chặt hạ cây để bảo đảm an toàn.",),
        (
            "Đơn vị quản lý cây xanh đã cắt tỉa tán và chằng chống cây; cây sẽ được đánh giá lại trước mùa mưa bão.",
        ),
        ("Công ty Công viên cây xanh",),
    ),
    Topic(
        "dogs",
        (("other", 2), ("public-order", 1)),
        2,
        {},
        (
            "Chó thả rông không rọ mõm ở {lane}",
            "Chó dữ cắn người, chủ nuôi không chịu trách nhiệm",
        ),
        (
            "Nhiều hộ nuôi chó thả rông ra đường không rọ mõm, chó đuổi cắn người đi đường, đã có trẻ em bị cắn phải đi tiêm phòng dại.",
            "Chó thả rông phóng uế khắp vỉa hè và sân chơi chung của khu dân cư.",
        ),
        ("Đề nghị kiểm tra, xử phạt chủ nuôi chó thả rông và tổ chức tiêm phòng dại.",),
        (
            "Ủy ban đã ra thông báo yêu cầu các hộ nuôi chó đăng ký, tiêm phòng dại và rọ mõm khi ra đường; tổ công tác đã xử phạt ba trường hợp vi phạm.",
        ),
        ("Trạm Chăn nuôi và Thú y",),
    ),
    Topic(
        "landslide",
        (("environment", 1), ("transport", 1)),
        2,
        {9: 3.0, 10: 3.5, 11: 3.0},
        (
            "Sạt lở bờ sông đe dọa nhà dân ở {commune}",
            "Sạt lở đất trên tuyến đường sau mưa lớn",
        ),
        (
            "Bờ sông đoạn qua thôn bị sạt lở nghiêm trọng, nhiều vết nứt dài sát móng nhà, đã có hai hộ phải di dời khẩn cấp.",
            "Sau mấy ngày mưa lớn, đất đá từ taluy dương đổ xuống lấp một nửa mặt đường, xe cộ qua lại rất nguy hiểm.",
        ),
        ("Đề nghị khẩn cấp khảo sát, cắm biển cảnh báo và có phương án kè chống sạt lở.",),
        (
            "Ủy ban đã cắm biển cảnh báo, di dời các hộ trong vùng nguy hiểm và trình phương án xây kè chống sạt lở lên cấp tỉnh.",
        ),
        ("Ban Chỉ huy phòng thủ dân sự tỉnh",),
    ),
)
#: Topics growing fast over the last ``SURGE_DAYS`` days (what "rising topics" should find).
SURGE_TOPICS = {"landslide": 4.0, "water": 2.5}
SURGE_DAYS = 14

OPENERS = (
    "Tôi là cư dân sống tại {lane}, {commune}.",
    "Kính gửi Ủy ban Mặt trận Tổ quốc, tôi xin phản ánh sự việc sau.",
    "Thay mặt các hộ dân ở {street}, tôi xin phản ánh.",
    "Gia đình tôi ở số {no} {street}, {commune}.",
    "Tôi xin phản ánh tình trạng ở khu vực {street} thuộc {commune}.",
    "Tôi là người dân {commune}, xin gửi phản ánh, kiến nghị như sau.",
)
DURATIONS = (
    "Tình trạng này đã kéo dài khoảng {months} tháng nay.",
    "Sự việc xảy ra từ {days} ngày trước và đến nay vẫn chưa được xử lý.",
    "Người dân đã báo tổ dân phố nhiều lần nhưng chưa có chuyển biến.",
    "Chúng tôi đã phản ánh qua đường dây nóng nhưng chưa nhận được phản hồi.",
    "Năm ngoái sự việc tương tự đã xảy ra và được hứa khắc phục nhưng đến nay vẫn tái diễn.",
)
IMPACTS = (
    "Việc này ảnh hưởng nghiêm trọng đến sinh hoạt của hàng chục hộ gia đình.",
    "Người già và trẻ nhỏ trong khu vực chịu ảnh hưởng nhiều nhất.",
    "Nhiều hộ kinh doanh phải đóng cửa, thu nhập bị giảm sút.",
    "Người dân rất bức xúc và lo lắng cho an toàn của gia đình.",
)
CLOSINGS = (
    "Kính đề nghị các cơ quan có thẩm quyền sớm kiểm tra và giải quyết.",
    "Xin trân trọng cảm ơn.",
    "Rất mong nhận được phản hồi sớm.",
    "Đề nghị cho biết kết quả xử lý để người dân được biết.",
)
RESPONSE_OPENERS = (
    "Cảm ơn ông/bà đã phản ánh.",
    "Tiếp nhận phản ánh của công dân, Ủy ban đã chỉ đạo kiểm tra thực tế.",
    "Ủy ban đã kiểm tra thực tế tại {street}.",
)
RESPONSE_CLOSINGS = (
    "Mọi vướng mắc xin liên hệ bộ phận tiếp công dân để được hướng dẫn.",
    "Chúng tôi sẽ tiếp tục theo dõi và thông tin kết quả tới người dân.",
    "",
)
SATISFIED_COMMENTS = (
    "Cảm ơn cán bộ đã xử lý nhanh.",
    "Vấn đề đã được giải quyết, gia đình rất hài lòng.",
    "Đã khắc phục nhưng mong được duy trì thường xuyên.",
    "",
    "",
)
UNSATISFIED_COMMENTS = (
    "Thực tế vẫn chưa được khắc phục như trả lời.",
    "Trả lời chung chung, chưa giải quyết được vấn đề.",
)
STREET_NAMES = _split(
    "Lê Lợi, Trần Hưng Đạo, Nguyễn Huệ, Hai Bà Trưng, Quang Trung, Lý Thường Kiệt, Nguyễn Trãi, Lê Duẩn, "
    "Phan Chu Trinh, Hùng Vương, Điện Biên Phủ, Nguyễn Văn Cừ, Trần Phú, Lê Hồng Phong, Võ Thị Sáu, "
    "Nguyễn Thị Minh Khai, Cách Mạng Tháng Tám, Bà Triệu, Ngô Quyền, Lạc Long Quân, Âu Cơ, Tôn Đức Thắng, "
    "Phạm Văn Đồng, Nguyễn Chí Thanh, Lê Thánh Tông, Trường Chinh, Hoàng Văn Thụ, Phan Đình Phùng, Nguyễn Du, "
    "Lý Thái Tổ, Chu Văn An, Nguyễn Đình Chiểu, Trần Quang Khải, Lê Lai, Hoàng Diệu, Đinh Tiên Hoàng, "
    "Nguyễn Trung Trực, Ba Tháng Hai, Nguyễn Văn Linh, Võ Nguyên Giáp, Phan Bội Châu, Huỳnh Thúc Kháng",
    ", ",
)
VILLAGES = _split(
    "Đông, Tây, Thượng, Hạ, Trung, Phú Mỹ, An Lộc, Tân Thành, Hòa Bình, Bình An, Phước Lợi, Đồng Tâm, "
    "Tân Lập, Quyết Tiến, Thắng Lợi, Yên Thịnh, Hưng Long, Long Hòa",
    ", ",
)
#: Provinces whose towns say hẻm / kiệt for a lane (ngõ elsewhere) and ấp for a hamlet (thôn elsewhere).
HEM_PROVINCES = {"P75", "P79", "P80", "P82", "P86", "P91", "P92", "P96", "P68", "P66"}
KIET_PROVINCES = {"P46", "P48"}
SOUTH_PROVINCES = HEM_PROVINCES
#: Cities: more petitions per commune than the countryside.
URBAN_WEIGHT = {"P01": 4.0, "P79": 4.0, "P48": 2.0, "P31": 1.5, "P92": 1.5, "P46": 1.5}
FAMILY_NAMES = _split(
    "Nguyễn Nguyễn Nguyễn Trần Trần Lê Lê Phạm Hoàng Phan Huỳnh Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý"
)
MIDDLE_NAMES = _split("Văn Văn Thị Thị Đức Minh Quang Hữu Thanh Ngọc Thu Hồng Xuân Kim")
GIVEN_NAMES = _split(
    "An Bình Cường Dũng Đức Hải Hùng Huy Khánh Long Minh Nam Phong Quân Sơn Thắng Tuấn Việt Anh Chi Dung "
    "Hà Hạnh Hằng Hoa Hương Lan Linh Loan Mai Ngọc Nhung Oanh Phương Quỳnh Thảo Trang Vân Yến"
)
MOBILE_PREFIXES = _split(
    "90 91 93 94 96 97 98 32 33 34 35 36 37 38 39 70 76 77 78 79 81 82 83 84 85 86 88 56 58"
)
EMAIL_DOMAINS = ("gmail.com", "gmail.com", "gmail.com", "yahoo.com", "outlook.com")
#: Local hour of submission (0 to 23) → weight: office hours, evenings, quiet nights.
HOUR_WEIGHTS = tuple(
    float(w)
    for w in _split(
        "0.2 0.1 0.1 0.1 0.1 0.3 0.6 1.2 2.5 2.6 2.5 2.3 1.5 1.6 2.2 2.3 2.1 1.6 1.5 1.8 1.9 1.6 0.9 0.5"
    )
)
#: Which code makes a code "look random": an odd multiplier coprime with 31.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_CODE_SPACE = len(_CODE_ALPHABET) ** 6
_CODE_MULTIPLIER = 387_420_489  # 3**18, coprime with 31**6


# --- folding, fast ---------------------------------------------------------------------------------


class _FoldTable(dict[int, str]):
    """``str.translate`` table of ``search.documents.fold`` per character, filled on first sight.

    ``fold`` works character by character on NFC text without combining marks (lowercase,
    ``đ`` → ``d``, tone marks dropped), so folding each character and joining is the same,
    but ``translate`` runs in C. Every batch checks one row against ``fold`` itself.
    """

    def __missing__(self, code: int) -> str:
        from search.documents import fold

        folded = fold(chr(code))
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def fast_fold(text: str) -> str:
    return text.translate(_FOLD)


_WORD = re.compile(r"\w+")


def fast_search_text(title: str, text: str) -> str:
    """``search.documents.search_text`` (" title words | text words "), with ``fast_fold``.

    ``generate`` compares one row per batch with the project's own function and uses that
    function for every row from then on if they ever differ (the format changed).
    """
    return f" {' '.join(_WORD.findall(fast_fold(title)))} | {' '.join(_WORD.findall(fast_fold(text)))} "


def project_search_text() -> Callable[[str, str], str]:
    """How the project writes ``Petition.search_text`` (older versions: ``fold(title + " " + text)``)."""
    from search import documents

    function = getattr(documents, "search_text", None)
    if function is not None:
        return cast(Callable[[str, str], str], function)
    return lambda title, text: documents.fold(f"{title} {text}")


# --- the generator --------------------------------------------------------------------------------


@dataclass
class GenerateReport:
    created: int = 0
    seconds: float = 0.0
    first_number: int = 0
    states: Counter[str] = field(default_factory=Counter)
    levels: Counter[str] = field(default_factory=Counter)
    overdue: int = 0
    code_clashes: int = 0
    method: str = ""
    #: Seconds of the load itself, and of rebuilding deferred indexes (``defer_indexes``).
    load_seconds: float = 0.0
    index_seconds: float = 0.0
    indexes_rebuilt: int = 0

    @property
    def per_second(self) -> float:
        return self.created / self.seconds if self.seconds else 0.0


@dataclass
class _Place:
    commune_id: int
    commune_code: str
    province_id: int
    province_code: str
    central_id: int
    name: str  # "phường Hoàn Kiếm"
    urban: bool
    #: The commune's centre (None when the units carry no geodata) and the radius its points spread over.
    latitude: float | None = None
    longitude: float | None = None
    spread_km: float = 0.0


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def _cumulative(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def _tracking_code(number: int, seed: int, year: int) -> str:
    """A code derived from the petition number: unique per seed, spread over the whole code space."""
    value = (number * _CODE_MULTIPLIER + seed * 7_919_731) % _CODE_SPACE
    chars = []
    for _ in range(6):
        value, digit = divmod(value, len(_CODE_ALPHABET))
        chars.append(_CODE_ALPHABET[digit])
    return f"PA-{year % 100:02d}-{''.join(chars)}"


class _Generator:
    def __init__(self, *, seed: int, now: dt.datetime, days: int) -> None:
        from django.conf import settings

        from petitions.models import Category
        from routing.models import Level, Membership, Unit

        self.seed = seed
        self.now = now
        self.days = days
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.offset = self.zone.utcoffset(now.replace(tzinfo=None)) or dt.timedelta(0)
        self.marker = f"{MARKER_PREFIX}{seed}"

        from routing.geodata import spread_km

        units = list(
            Unit.objects.filter(is_active=True).values(
                "id", "code", "name", "level", "parent_id", "latitude", "longitude", "area_km2"
            )
        )
        central = next((u for u in units if u["level"] == Level.CENTRAL), None)
        if central is None:
            raise SystemExit("no central unit: run manage.py load_units")
        provinces = {u["id"]: u for u in units if u["level"] == Level.PROVINCE}
        rng = random.Random(f"places:{seed}")  # noqa: S311 - benchmark data, not secrets
        self.places: list[_Place] = []
        weights: list[float] = []
        for unit in units:
            if unit["level"] != Level.COMMUNE or unit["parent_id"] not in provinces:
                continue
            province = provinces[unit["parent_id"]]
            name: str = unit["name"]
            urban = name.startswith("Phường")
            kind, _, rest = name.partition(" ")
            if name.startswith("Đặc khu"):
                phrase = "đặc khu " + name.removeprefix("Đặc khu ")
            else:
                phrase = f"{kind.lower()} {rest}"
            lat, lon = unit["latitude"], unit["longitude"]
            self.places.append(
                _Place(
                    unit["id"],
                    unit["code"],
                    province["id"],
                    province["code"],
                    central["id"],
                    phrase,
                    urban,
                    float(lat) if lat is not None and lon is not None else None,
                    float(lon) if lat is not None and lon is not None else None,
                    spread_km(unit["area_km2"]),
                )
            )
            weights.append(
                URBAN_WEIGHT.get(province["code"], 1.0) * (2.5 if urban else 1.0) * rng.lognormvariate(0, 0.8)
            )
        if not self.places:
            raise SystemExit("no communes: run manage.py load_units")
        self.place_weights = _cumulative(weights)

        categories = {c.code: c for c in Category.objects.filter(is_active=True)}
        if not categories:
            raise SystemExit("no categories: run migrate (petitions.0003_seed_categories)")
        fallback = categories.get("other") or next(iter(categories.values()))
        self.category_info: dict[int, tuple[str, bool]] = {
            c.pk: (c.default_level, c.allows_anonymous) for c in categories.values()
        }
        self.topic_categories: list[tuple[list[int], list[float]]] = []
        for topic in TOPICS:
            ids = [(categories.get(code) or fallback).pk for code, _w in topic.categories]
            self.topic_categories.append((ids, _cumulative([w for _c, w in topic.categories])))

        # Topic weights per month, and per month for the last SURGE_DAYS days.
        self.topic_weights: dict[tuple[int, bool], list[float]] = {}
        for month in range(1, 13):
            for surge in (False, True):
                self.topic_weights[(month, surge)] = _cumulative(
                    [
                        t.weight
                        * t.seasons.get(month, 1.0)
                        * (SURGE_TOPICS.get(t.key, 1.0) if surge else 1.0)
                        for t in TOPICS
                    ]
                )

        # Days: volume grows over the period; weekends and public holidays are quieter.
        from routing.deadlines import is_working_day

        today = (now + self.offset).date()
        self.first_day = today - dt.timedelta(days=days - 1)
        day_weights = []
        for index in range(days):
            day = self.first_day + dt.timedelta(days=index)
            weight = 0.6 + 0.6 * index / max(days - 1, 1)
            if day.weekday() >= 5:
                weight *= 0.5
            elif not is_working_day(day):
                weight *= 0.4
            day_weights.append(weight)
        self.day_weights = _cumulative(day_weights)
        self.hour_weights = _cumulative(HOUR_WEIGHTS)

        # Every policy now: case_fields runs in the producer thread, which must not query.
        from routing.deadlines import policy_for

        self.policies: dict[tuple[str, int], Any] = {
            (level, pk): policy_for(level, pk) for level in Level.values for pk in self.category_info
        }
        staff: dict[int, list[int]] = {}
        for unit_id, user_id in Membership.objects.filter(user__is_active=True).values_list(
            "unit_id", "user_id"
        ):
            staff.setdefault(unit_id, []).append(user_id)
        self.staff = staff
        self.topics = [self._prepare(topic) for topic in TOPICS]

    @staticmethod
    def _prepare(topic: Topic) -> Topic:
        return topic._replace(
            titles=tuple(_nfc(t) for t in topic.titles),
            problems=tuple(_nfc(t) for t in topic.problems),
            requests=tuple(_nfc(t) for t in topic.requests),
            responses=tuple(_nfc(t) for t in topic.responses),
        )

    def policy(self, level: str, category_id: int) -> Any:
        return self.policies[(str(level), category_id)]

    @lru_cache(maxsize=65_536)  # noqa: B019 - one generator per call, dropped afterwards
    def due(self, day: dt.date, working_days: int) -> dt.datetime:
        """End of the ``working_days``-th working day after the local ``day`` (routing.deadlines)."""
        from routing.deadlines import add_working_days

        return add_working_days(dt.datetime.combine(day, dt.time(12), tzinfo=self.zone), working_days)

    def local_date(self, moment: dt.datetime) -> dt.date:
        return (moment + self.offset).date()

    # --- one batch -------------------------------------------------------------------------------

    def batch(self, first: int, count: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The petitions' fields and, per petition, what its case and first event are made from."""
        from petitions.models import Channel
        from routing.geodata import point_near
        from routing.models import Level

        rng = random.Random(f"batch:{self.seed}:{first}")  # noqa: S311 - benchmark data, not secrets
        rand = rng.random
        day_indices = rng.choices(range(self.days), cum_weights=self.day_weights, k=count)
        hours = rng.choices(range(24), cum_weights=self.hour_weights, k=count)
        places = rng.choices(self.places, cum_weights=self.place_weights, k=count)
        surge_from = self.days - SURGE_DAYS
        petitions: list[dict[str, Any]] = []
        plans: list[dict[str, Any]] = []
        for k in range(count):
            number = first + k
            day = self.first_day + dt.timedelta(days=day_indices[k])
            local = dt.datetime(day.year, day.month, day.day, hours[k], int(rand() * 60), int(rand() * 60))
            submitted = (local - self.offset).replace(tzinfo=dt.UTC, microsecond=int(rand() * 1e6))
            if submitted > self.now:
                submitted = self.now - dt.timedelta(seconds=1 + rand() * 3600)
            place = places[k]
            topic_cum = self.topic_weights[(day.month, day_indices[k] >= surge_from)]
            topic_index = min(bisect(topic_cum, rand() * topic_cum[-1]), len(self.topics) - 1)
            topic = self.topics[topic_index]
            ids, cum = self.topic_categories[topic_index]
            category_id = ids[bisect(cum, rand() * cum[-1])] if len(ids) > 1 else ids[0]

            fill = self._fill(rng, place)
            title = rng.choice(topic.titles).format(**fill)
            title = title[0].upper() + title[1:]
            sentences = [rng.choice(OPENERS)]
            sentences += rng.sample(topic.problems, 2 if rand() < 0.6 else 1)
            if rand() < 0.7:
                sentences.append(rng.choice(DURATIONS))
            if rand() < 0.5:
                sentences.append(rng.choice(IMPACTS))
            sentences.append(rng.choice(topic.requests))
            if rand() < 0.6:
                sentences.append(rng.choice(CLOSINGS))
            text = " ".join(sentences).format(**fill)

            default_level, allows_anonymous = self.category_info[category_id]
            draw = rand()
            target_level = Level.CENTRAL if draw < 0.005 else Level.PROVINCE if draw < 0.035 else ""
            anonymous = allows_anonymous and rand() < 0.08
            name = "" if anonymous else self._name(rng)
            lat = lon = None
            if rand() < 0.35 and place.latitude is not None and place.longitude is not None:
                point = point_near(
                    latitude=place.latitude,
                    longitude=place.longitude,
                    radius_km=place.spread_km,
                    u=rand(),
                    v=rand(),
                )
                lat, lon = float(point[0]), float(point[1])
            draw = rand()
            channel = Channel.WEB if draw < 0.8 else Channel.API if draw < 0.92 else Channel.OPEN311
            local_year = (submitted + self.offset).year
            petitions.append(
                {
                    "tracking_code": _tracking_code(number, self.seed, local_year),
                    "token_hash": secrets.token_hex(32),
                    "idempotency_key": None,
                    "request_fingerprint": self.marker,
                    "is_anonymous": anonymous,
                    "submitter_name": name,
                    "phone": f"+84{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10_000_000):07d}",
                    "email": self._email(rng, name) if name and rand() < 0.3 else "",
                    "language": "en" if rand() < 0.03 else "vi",
                    "sms_opt_out": rand() < 0.05,
                    "category_id": category_id,
                    "province_id": place.province_id,
                    "commune_id": place.commune_id,
                    "address": f"số {fill['no']} {fill['street']}" if rand() < 0.85 else "",
                    "latitude": lat,
                    "longitude": lon,
                    "title": title,
                    "text": text,
                    "search_text": fast_search_text(title, text),
                    "target_level": target_level,
                    "consent_publish": rand() < 0.4,
                    "channel": channel,
                    "entered_by_id": None,
                    "submitted_at": submitted,
                }
            )
            level = target_level or default_level or Level.COMMUNE
            routed = {
                Level.COMMUNE: place.commune_id,
                Level.PROVINCE: place.province_id,
                Level.CENTRAL: place.central_id,
            }[Level(level)]
            plans.append(
                {
                    "routed": routed,
                    "level": level,
                    "place": place,
                    "topic": topic,
                    "fill": fill,
                    "channel": channel,
                    "submitted": submitted,
                    "category_id": category_id,
                }
            )
        return petitions, plans

    def _fill(self, rng: random.Random, place: _Place) -> dict[str, Any]:
        no = rng.randrange(1, 300)
        if place.urban or rng.random() < 0.4:
            kind = "phố" if place.province_code in ("P01", "P31") and rng.random() < 0.5 else "đường"
            street = f"{kind} {rng.choice(STREET_NAMES)}"
            lane_word = (
                "hẻm"
                if place.province_code in HEM_PROVINCES
                else "kiệt"
                if place.province_code in KIET_PROVINCES
                else "ngõ"
            )
            lane = f"{lane_word} {rng.randrange(2, 200)} {street}"
        else:
            hamlet = "ấp" if place.province_code in SOUTH_PROVINCES else "thôn"
            village = rng.choice(VILLAGES)
            street = (
                f"đường liên {hamlet} {village}" if rng.random() < 0.5 else f"tỉnh lộ {rng.randrange(1, 60)}"
            )
            lane = f"{hamlet} {village}"
        return {
            "street": street,
            "lane": lane,
            "commune": place.name,
            "no": no,
            "months": rng.randrange(2, 13),
            "days": rng.randrange(5, 45),
            "n": rng.randrange(3, 12),
        }

    @staticmethod
    def _name(rng: random.Random) -> str:
        return f"{rng.choice(FAMILY_NAMES)} {rng.choice(MIDDLE_NAMES)} {rng.choice(GIVEN_NAMES)}"

    @staticmethod
    def _email(rng: random.Random, name: str) -> str:
        parts = fast_fold(name).split()
        return f"{parts[-1]}.{parts[0]}{rng.randrange(100, 9999)}@{rng.choice(EMAIL_DOMAINS)}"

    def case_fields(self, rng: random.Random, plan: dict[str, Any]) -> dict[str, Any]:
        """The case as its timeline leaves it at ``now``: state, times, deadlines, unit, response."""
        from routing.models import CaseState as S
        from routing.models import Level

        now = self.now
        rand = rng.random
        submitted: dt.datetime = plan["submitted"]
        place: _Place = plan["place"]
        level: str = plan["level"]
        unit_id: int = plan["routed"]
        # Some cases moved up: escalated by the unit or by the sweep, or after dissatisfaction.
        draw = rand()
        if level == Level.COMMUNE and draw < 0.06:
            unit_id, level = place.province_id, Level.PROVINCE
        elif level == Level.PROVINCE and draw < 0.02:
            unit_id, level = place.central_id, Level.CENTRAL
        plan["final_level"] = level
        policy = self.policy(level, plan["category_id"])
        day = self.local_date(submitted)
        triage_due = self.due(day, policy.triage_days)

        hours = dt.timedelta(hours=1)
        triaged = submitted + hours * min(rng.lognormvariate(math.log(18), 1.0), 24 * 12)
        outcome = rand()
        fields: dict[str, Any] = {
            "unit_id": unit_id,
            "category_id": plan["category_id"],
            "submitted_at": submitted,
            "updated_at": submitted,
            "triage_due_at": triage_due,
            "due_at": triage_due,
            "state": S.SUBMITTED,
        }
        if outcome < 0.03:  # withdrawn by the citizen
            withdrawn = submitted + hours * rng.uniform(1, 24 * 10)
            if withdrawn < now:
                fields.update(state=S.WITHDRAWN, closed_at=withdrawn, updated_at=withdrawn, due_at=None)
                return self._with_overdue(fields)
        if outcome < 0.10 and triaged < now:  # rejected or duplicate at triage
            state = S.REJECTED if outcome < 0.07 else S.DUPLICATE
            fields.update(state=state, triaged_at=triaged, closed_at=triaged, updated_at=triaged, due_at=None)
            return self._with_overdue(fields)
        if triaged >= now:
            return self._with_overdue(fields)

        # Accepted: in progress, perhaps referred to an agency, a response drafted, approved, closed.
        assignee = self._staff(rng, unit_id)
        resolution_due = self.due(self.local_date(triaged), policy.resolution_days)
        fields.update(
            state=S.IN_PROGRESS,
            triaged_at=triaged,
            updated_at=triaged,
            assignee_id=assignee,
            resolution_due_at=resolution_due,
            due_at=resolution_due,
        )
        stalled = outcome > 0.95
        work = hours * 24 * min(rng.lognormvariate(math.log(7), 0.7), 60)
        drafted = triaged + work
        if rand() < 0.12:  # referred to an agency for part of the work
            referred = triaged + work * rng.uniform(0.1, 0.4)
            replied = referred + hours * 24 * rng.uniform(3, 20)
            agency_due = dt.datetime.combine(
                self.local_date(referred) + dt.timedelta(days=15), dt.time(23, 59, 59), tzinfo=self.zone
            )
            agency = rng.choice(plan["topic"].agencies)
            if referred < now and (replied > now or stalled):
                fields.update(
                    state=S.AWAITING_AGENCY,
                    agency_name=agency,
                    paused_at=referred,
                    agency_due_at=agency_due,
                    due_at=agency_due,
                    updated_at=referred,
                )
                return self._with_overdue(fields)
            if referred < now:
                fields["agency_name"] = agency
                drafted = max(drafted, replied + hours * 24)
        if rand() < 0.05 and drafted > triaged + hours * 24 * 5:
            fields["extension_used"] = True
        if stalled or drafted >= now:
            return self._with_overdue(fields)

        response = self._response(rng, plan)
        approved = drafted + hours * min(rng.lognormvariate(math.log(20), 0.8), 24 * 10)
        fields.update(
            state=S.PENDING_APPROVAL,
            response_text=response,
            response_drafted_by_id=assignee,
            updated_at=drafted,
        )
        if approved >= now:
            return self._with_overdue(fields)
        feedback_due = approved + dt.timedelta(days=policy.feedback_days)
        fields.update(
            state=S.RESPONDED, responded_at=approved, feedback_due_at=feedback_due, due_at=feedback_due
        )
        fields["updated_at"] = approved
        if rand() < 0.65:  # the citizen answers within the feedback window
            answered = approved + (feedback_due - approved) * rand()
            if answered < now:
                rating = rng.choices((1, 2, 3, 4, 5), cum_weights=(5, 12, 27, 60, 100))[0]
                if rating >= 3 or rand() < 0.5:
                    fields.update(
                        state=S.CLOSED,
                        rating=rating,
                        citizen_comment=rng.choice(SATISFIED_COMMENTS),
                        closed_at=answered,
                        due_at=None,
                        updated_at=answered,
                    )
                else:  # not satisfied: reopened at the unit
                    restart = self.due(self.local_date(answered), policy.resolution_days)
                    fields.update(
                        state=S.IN_PROGRESS,
                        rating=rating,
                        citizen_comment=rng.choice(UNSATISFIED_COMMENTS),
                        dissatisfaction_count=1,
                        responded_at=None,
                        feedback_due_at=None,
                        resolution_due_at=restart,
                        due_at=restart,
                        updated_at=answered,
                    )
        elif feedback_due < now:  # the sweep closed it when the window elapsed
            fields.update(state=S.CLOSED, closed_at=feedback_due, due_at=None, updated_at=feedback_due)
        return self._with_overdue(fields)

    def _with_overdue(self, fields: dict[str, Any]) -> dict[str, Any]:
        from routing.models import CLOCKED_STATES

        due = fields.get("due_at")
        if due is not None and fields["state"] in CLOCKED_STATES and due < self.now:
            fields["is_overdue"] = True
            fields["overdue_since"] = due
        return fields

    def _staff(self, rng: random.Random, unit_id: int) -> int | None:
        members = self.staff.get(unit_id)
        return rng.choice(members) if members else None

    def _response(self, rng: random.Random, plan: dict[str, Any]) -> str:
        topic: Topic = plan["topic"]
        parts = [rng.choice(RESPONSE_OPENERS), rng.choice(topic.responses), rng.choice(RESPONSE_CLOSINGS)]
        return _nfc(" ".join(p for p in parts if p).format(**plan["fill"]))


def _plain(value: Any) -> Any:
    """Choices (``TextChoices`` members) as their values: psycopg would dump an Enum by its name."""
    return value.value if isinstance(value, Enum) else value


class _Writer:
    """Inserts rows (dicts of attnames) of one model and returns their primary keys.

    ``copy`` (PostgreSQL): ids taken from the table's sequence, rows streamed with ``COPY``;
    ``bulk_create``: Django's ``bulk_create`` (any database). Both fill every concrete field the
    row does not name with the field's default, so a field added to a model later is covered.
    """

    def __init__(self, method: str) -> None:
        from django.db import connection

        self.connection = connection
        if method not in ("copy", "bulk_create"):
            raise ValueError(f"unknown method {method!r}")
        if method == "copy" and connection.vendor != "postgresql":
            method = "bulk_create"
        self.method = method

    def write(self, model: Any, rows: list[dict[str, Any]]) -> list[int]:
        if self.method == "bulk_create":
            objects = [model(**row) for row in rows]
            model.objects.bulk_create(objects)
            return [obj.pk for obj in objects]
        return self._copy(model, rows)

    def _copy(self, model: Any, rows: list[dict[str, Any]]) -> list[int]:
        import json

        from django.db import models

        meta = model._meta
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        defaults = {f.attname: f.get_default() for f in fields}
        json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
        choice_fields = {f.attname for f in fields if f.choices}
        table = self.connection.ops.quote_name(meta.db_table)
        columns = ", ".join(
            self.connection.ops.quote_name(c) for c in [meta.pk.column, *(f.column for f in fields)]
        )
        attnames = [f.attname for f in fields]
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(rows)],
            )
            ids = [int(row[0]) for row in cursor.fetchall()]
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for pk, row in zip(ids, rows, strict=True):
                    values = {**defaults, **row}
                    for name in json_fields:
                        values[name] = json.dumps(values[name], ensure_ascii=False)
                    for name in choice_fields:
                        values[name] = _plain(values[name])
                    copy.write_row([pk, *(values[name] for name in attnames)])
        return ids


TABLES = ("petitions_petition", "routing_case", "routing_caseevent")


def _index_file() -> Path:
    import tempfile

    from django.db import connection

    name = "".join(c if c.isalnum() else "_" for c in str(connection.settings_dict.get("NAME")))
    return Path(tempfile.gettempdir()) / f"bench-generate-deferred-indexes-{name}.sql"


def _create_indexes(statements: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for statement in statements:
            cursor.execute(statement.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
        cursor.execute("RESET maintenance_work_mem")


def restore_deferred_indexes() -> int:
    """Create the indexes a killed ``defer_indexes`` load left dropped (from its saved file)."""
    saved = _index_file()
    if not saved.exists():
        return 0
    statements = [line for line in saved.read_text().splitlines() if line.strip()]
    _create_indexes(statements)
    saved.unlink()
    return len(statements)


@contextmanager
def _deferred_indexes() -> Iterator[list[str]]:
    """Drop the plain indexes of TABLES; create them again on the way out (see ``generate``)."""
    from django.db import connection

    restore_deferred_indexes()
    saved = _index_file()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ix.relname, pg_get_indexdef(ix.oid)
            FROM pg_index i
            JOIN pg_class ix ON ix.oid = i.indexrelid
            JOIN pg_class t ON t.oid = i.indrelid
            WHERE t.relname = ANY(%s) AND t.relnamespace = current_schema()::regnamespace
              AND NOT i.indisprimary AND NOT i.indisunique
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY ix.relname
            """,
            [list(TABLES)],
        )
        found = cursor.fetchall()
    statements = [definition for _name, definition in found]
    saved.write_text("".join(f"{statement}\n" for statement in statements))
    with connection.cursor() as cursor:
        for name, _definition in found:
            cursor.execute(f"DROP INDEX IF EXISTS {connection.ops.quote_name(name)}")
    try:
        yield statements
    finally:
        _create_indexes(statements)
        saved.unlink(missing_ok=True)


def generate(
    n: int,
    *,
    seed: int = 1,
    batch: int = 5000,
    now: dt.datetime | None = None,
    days: int = DEFAULT_DAYS,
    start: int | None = None,
    method: str = "copy",
    progress: Callable[[int, int, float], None] | None = None,
    analyze: bool = True,
    defer_indexes: bool = False,
) -> GenerateReport:
    """Write ``n`` petitions with their cases and first events, ``batch`` per transaction.

    ``start``: the number of the first petition (default: how many this seed wrote already).
    ``method``: ``copy`` (PostgreSQL ``COPY``, the default there) or ``bulk_create``.
    ``defer_indexes`` (PostgreSQL): drop the three tables' plain indexes (not primary keys, not
    unique ones) before loading and create them again afterwards, from their own definitions,
    which are also saved in a file of the temporary directory until they exist again. Much faster
    for a load into (nearly) empty tables: the trigram index on ``search_text`` costs most of the
    time of an insert. Only for a database of one's own: other sessions see no such indexes meanwhile.
    ``progress(done, n, seconds)`` is called after each batch. Returns counts and the time taken.
    """
    setup_django()
    from django.db import connection, transaction
    from django.utils import timezone

    from petitions.models import Petition
    from routing.models import ActorKind, Case, CaseEvent, CaseState, EventKind, Unit

    search_text = project_search_text()
    slow = False

    if not Unit.objects.exists():
        from routing.units import load_units

        load_units()
    now = now or timezone.now()
    marker = f"{MARKER_PREFIX}{seed}"
    if start is None:
        start = Petition.objects.filter(request_fingerprint=marker).count()
    report = GenerateReport(first_number=start)
    clock = time.perf_counter()
    generator = _Generator(seed=seed, now=now, days=days)
    writer = _Writer(method)
    report.method = writer.method
    postgres = connection.vendor == "postgresql"
    if postgres and not defer_indexes:
        restore_deferred_indexes()
    # The rows of the next batch are made in a thread while this one waits for the database.
    made: queue.Queue[Any] = queue.Queue(maxsize=2)
    stop = threading.Event()
    firsts = list(range(start, start + n, batch))

    def produce() -> None:
        try:
            for first in firsts:
                count = min(batch, start + n - first)
                petitions, plans = generator.batch(first, count)
                rng = random.Random(f"cases:{seed}:{first}")  # noqa: S311 - benchmark data, not secrets
                cases = [generator.case_fields(rng, plan) for plan in plans]
                while not stop.is_set():
                    try:
                        made.put((petitions, plans, cases), timeout=0.5)
                        break
                    except queue.Full:
                        continue
        except BaseException as exc:  # handed to the writer, which raises it
            made.put(exc)

    producer = threading.Thread(target=produce, name="bench-generate", daemon=True)
    producer.start()
    done = 0
    deferred = _deferred_indexes() if defer_indexes and postgres else nullcontext(None)
    indexes = deferred.__enter__()
    try:
        for _first in firsts:
            item = made.get()
            if isinstance(item, BaseException):
                raise item
            petitions, plans, cases = item
            sample = petitions[0]
            if slow or sample["search_text"] != search_text(sample["title"], sample["text"]):
                slow = True  # the project's format is not ours (any more): use its own function
                for petition in petitions:
                    petition["search_text"] = search_text(petition["title"], petition["text"])
            codes = [p["tracking_code"] for p in petitions]
            taken = set(
                Petition.objects.filter(tracking_code__in=codes).values_list("tracking_code", flat=True)
            )
            if taken:
                from petitions.services import new_tracking_code

                for petition in petitions:
                    while petition["tracking_code"] in taken:
                        petition["tracking_code"] = new_tracking_code(petition["submitted_at"])
                        report.code_clashes += 1
                    taken.add(petition["tracking_code"])
            with transaction.atomic():
                if postgres:
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL synchronous_commit TO OFF")
                petition_ids = writer.write(Petition, petitions)
                for case, petition_id in zip(cases, petition_ids, strict=True):
                    case["petition_id"] = petition_id
                case_ids = writer.write(Case, cases)
                writer.write(
                    CaseEvent,
                    [
                        {
                            "case_id": case_id,
                            "kind": EventKind.SUBMITTED,
                            "actor_id": None,
                            "actor_kind": ActorKind.CITIZEN,
                            "from_state": "",
                            "to_state": CaseState.SUBMITTED,
                            "to_unit_id": plan["routed"],
                            "is_public": True,
                            "case_version": 1,
                            "created_at": plan["submitted"],
                            "data": {"channel": str(plan["channel"])},
                        }
                        for case_id, plan in zip(case_ids, plans, strict=True)
                    ],
                )
            for case, plan in zip(cases, plans, strict=True):
                report.states[str(case["state"])] += 1
                report.levels[str(plan["final_level"])] += 1
                report.overdue += bool(case.get("is_overdue"))
            done += len(petitions)
            report.created = done
            report.seconds = time.perf_counter() - clock
            if progress is not None:
                progress(done, n, report.seconds)
    finally:
        stop.set()
        producer.join(timeout=5)
        report.load_seconds = time.perf_counter() - clock
        deferred.__exit__(None, None, None)
        if indexes is not None:
            report.indexes_rebuilt = len(indexes)
            report.index_seconds = time.perf_counter() - clock - report.load_seconds
    if analyze and postgres and n:
        with connection.cursor() as cursor:
            for model in (Petition, Case, CaseEvent):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    report.seconds = time.perf_counter() - clock
    return report


def print_progress(done: int, total: int, seconds: float) -> None:
    rate = done / seconds if seconds else 0.0
    print(f"\r  {done:>9,} / {total:,} cases  {rate:>8,.0f}/s", end="" if done < total else "\n", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, required=True, help="how many petitions/cases to add")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="default: DATABASE_URL (created and migrated if PostgreSQL and missing)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help="spread over the last N days")
    parser.add_argument(
        "--method",
        choices=("copy", "bulk_create"),
        default="copy",
        help="copy: PostgreSQL COPY with ids from the sequences (default; bulk_create elsewhere)",
    )
    parser.add_argument(
        "--defer-indexes",
        action="store_true",
        help="drop the plain indexes while loading and build them afterwards (a database of your own)",
    )
    args = parser.parse_args(argv)
    # A plain kill still ends the load cleanly (deferred indexes are built again).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    prepare_database(args.database_url)
    print(f"generating {args.cases:,} cases (seed {args.seed}, batches of {args.batch:,})")
    report = generate(
        args.cases,
        seed=args.seed,
        batch=args.batch,
        days=args.days,
        method=args.method,
        progress=print_progress,
        defer_indexes=args.defer_indexes,
    )
    print(
        f"{report.created:,} cases in {report.seconds:.1f} s ({report.per_second:,.0f}/s, {report.method}), "
        f"numbers {report.first_number:,}–{report.first_number + report.created - 1:,}; "
        f"{report.overdue:,} overdue, {report.code_clashes} code clashes"
    )
    if report.indexes_rebuilt:
        print(
            f"  load {report.load_seconds:.1f} s, then {report.indexes_rebuilt} indexes built "
            f"in {report.index_seconds:.1f} s"
        )
    for state, count in report.states.most_common():
        print(f"  {state:<18}{count:>10,}")
    for level, count in report.levels.most_common():
        print(f"  routed to {level:<8}{count:>10,}")


if __name__ == "__main__":
    main()
