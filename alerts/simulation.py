"""Generated petition traffic for the alert tests and ``bench/alerts_false_rate.py``.

Normal background: for each commune a Poisson number of petitions a day, with a weekly season
(busier on Monday, quiet on Sunday) and daytime hours, each in a topic drawn by its usual share,
with a title from that topic's usual ones. A flood burst: petitions about ``ngập lụt`` spread over
a province's communes in a given span. Only ``Row`` records: the tests write them to the database,
the benchmark keeps them in memory.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator, Mapping, Sequence

from alerts.detection import Row

#: Monday … Sunday, relative to an average day.
WEEKDAY_FACTOR = (1.25, 1.15, 1.1, 1.05, 1.0, 0.8, 0.65)
#: Relative weight of each hour of the day (petitions come in office hours and the evening).
HOUR_WEIGHT = (1, 1, 1, 1, 1, 2, 4, 7, 10, 10, 9, 8, 6, 7, 9, 9, 8, 7, 6, 6, 5, 4, 2, 1)

#: Category code → (share of petitions, usual titles).
TOPICS: dict[str, tuple[float, tuple[str, ...]]] = {
    "environment": (
        0.22,
        (
            "Rác thải tồn đọng lâu ngày bốc mùi",
            "Cống thoát nước bị tắc gây ô nhiễm",
            "Khói bụi từ xưởng sản xuất gần nhà",
            "Tiếng ồn từ quán karaoke về đêm",
            "Nước thải chảy ra đường",
            "Đường bị ngập lụt sau mưa lớn",
        ),
    ),
    "transport": (
        0.2,
        (
            "Mặt đường xuống cấp nhiều ổ gà",
            "Đèn đường hỏng nhiều ngày chưa sửa",
            "Đèn tín hiệu giao thông ở ngã tư không hoạt động",
            "Nắp hố ga bị vỡ nguy hiểm",
            "Xe tải chở quá tải làm hư hỏng đường",
        ),
    ),
    "land-housing": (
        0.14,
        (
            "Chậm cấp giấy chứng nhận quyền sử dụng đất",
            "Công trình xây dựng không phép lấn chiếm vỉa hè",
            "Tranh chấp ranh giới đất với hộ bên cạnh",
            "Bồi thường giải phóng mặt bằng chưa thỏa đáng",
        ),
    ),
    "public-order": (
        0.12,
        (
            "Tụ tập đua xe trái phép ban đêm",
            "Lấn chiếm lòng đường để buôn bán",
            "Trộm cắp tài sản xảy ra thường xuyên",
            "Cho vay nặng lãi đòi nợ kiểu xã hội đen",
        ),
    ),
    "social-welfare": (
        0.1,
        (
            "Chậm chi trả trợ cấp cho hộ nghèo",
            "Xét duyệt hộ cận nghèo chưa công khai",
            "Chưa nhận được lương hưu tháng này",
        ),
    ),
    "health": (
        0.08,
        (
            "Trạm y tế thiếu thuốc điều trị",
            "Thái độ phục vụ của nhân viên bệnh viện",
            "Sốt xuất huyết gia tăng trong khu phố",
        ),
    ),
    "education": (
        0.07,
        (
            "Thu các khoản phí ngoài quy định ở trường học",
            "Dạy thêm học thêm tràn lan",
            "Phòng học xuống cấp không an toàn",
        ),
    ),
    "admin-procedures": (
        0.07,
        (
            "Thủ tục đăng ký hộ kinh doanh kéo dài",
            "Cán bộ tiếp dân gây khó khăn",
            "Hồ sơ chứng thực bị trả lại nhiều lần",
        ),
    ),
}

FLOOD_TITLES = (
    "Ngập lụt nghiêm trọng sau mưa bão",
    "Nước ngập lụt tràn vào nhà dân",
    "Đường ngập lụt sâu không đi lại được",
    "Khu phố bị ngập lụt nhiều ngày",
    "Ngập lụt làm hư hỏng tài sản",
)


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's product of uniforms; the means here are small)."""
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _moment(rng: random.Random, day: dt.datetime) -> dt.datetime:
    hour = rng.choices(range(24), weights=HOUR_WEIGHT)[0]
    return day + dt.timedelta(hours=hour, seconds=rng.randrange(3600))


def background(
    *,
    places: Mapping[int, Sequence[int]],
    categories: dict[str, int],
    start: dt.datetime,
    days: int,
    per_commune_per_day: float,
    seed: int = 1,
    first_pk: int = 1,
) -> Iterator[Row]:
    """Normal traffic from local midnight ``start`` for ``days`` days: province id → its commune ids."""
    rng = random.Random(seed)  # noqa: S311 (generated traffic, not secrets)
    codes = [code for code in TOPICS if code in categories]
    shares = [TOPICS[code][0] for code in codes]
    pk = first_pk
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        mean = per_commune_per_day * WEEKDAY_FACTOR[day.weekday()]
        for province, communes in places.items():
            for commune in communes:
                for _n in range(poisson(rng, mean)):
                    code = rng.choices(codes, weights=shares)[0]
                    title = rng.choice(TOPICS[code][1])
                    yield Row(pk, _moment(rng, day), province, commune, categories[code], title)
                    pk += 1


def flood_burst(
    *,
    province: int,
    communes: Sequence[int],
    category: int,
    end: dt.datetime,
    count: int = 40,
    hours: int = 48,
    seed: int = 2,
    first_pk: int,
) -> list[Row]:
    """``count`` petitions about ``ngập lụt`` over the ``hours`` before ``end``, round the communes."""
    rng = random.Random(seed)  # noqa: S311 (generated traffic, not secrets)
    return [
        Row(
            first_pk + i,
            end - dt.timedelta(seconds=rng.randrange(1, hours * 3600)),
            province,
            communes[i % len(communes)],
            category,
            rng.choice(FLOOD_TITLES),
        )
        for i in range(count)
    ]
