"""A search relevance test set: Vietnamese petitions, the queries officers type, and what they expect.

The petitions (``PETITIONS``) are short, realistic complaints of one province (Hà Nội), with
deliberate look-alikes: words that fold to the same letters once tone marks are dropped
(``cống`` drain / ``công`` public / ``cổng`` gate / ``cong`` curved, ``đường tỉnh`` provincial
road / ``dương tính`` tested positive, ``đèn`` lamp / ``đen`` black / ``đến`` to, ``lụt`` flood /
``lút`` sunk, ``bảo`` / ``bão`` storm, ``ô nhiễm`` / ``ô tô`` … ``trách nhiệm``, ``tiếng ồn`` /
``tiếng Anh`` … ``ôn thi``, ``hố ga`` / ``hộ`` … ``Hàng Gà``, ``nước sạch`` / ``nước`` … ``sách``).
The look-alikes are listed last and so submitted last: they are the newest cases, and a backend
that breaks ties by date cannot rank the real matches first by luck.

How relevance is judged (``QUERIES``): as the officer who typed the query would, not as any
backend answers. The search is a keyword search (both backends: a query of up to three words asks
for petitions with all of them, in any spelling; a longer query may miss one word in five), so a
petition is relevant when it is about what the query names *and* says so in the query's words;
one that uses other words entirely (``rác`` alone for ``rác thải``) is not expected. A look-alike
that matches the letters but means something else is never relevant. A query typed without tone
marks is read both ways when both readings are likely (``duong tinh``: roads and positive tests)
and as the usual word otherwise (``den duong``: street lights). For longer queries a relevant
petition may lack one of the words (``đèn đường hỏng`` for ``đèn đường bị hỏng``).

Ordering checks (``ORDERINGS``): a query typed with tone marks ranks the exact spelling above
the folded look-alikes, and a petition lacking one of the query's words never ranks above one
that has them all. Tracking codes are assigned when petitions are submitted, so code queries
name a petition (``code(key, form)``) and are typed at run time.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.utils import timezone

from petitions.services import petition_submit
from routing.models import Level, Unit
from search.base import Scope, SearchBackend, SearchQuery
from search.documents import nfc
from tests.conftest import Tree

# --- the petitions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One petition of the set; ``key`` names it in queries and reports."""

    key: str
    title: str
    text: str
    category: str  # petitions.Category code
    commune: str  # a key of COMMUNES


#: The communes of Hà Nội the petitions are filed in (``load_petitions``): two of the usual tree, one more.
COMMUNES = ("hoan_kiem", "cua_nam", "ba_dinh")

PETITIONS: tuple[Sample, ...] = (
    # Flooding.
    Sample(
        "flood_hang_bong",
        "Phố Hàng Bông ngập lụt sau mưa lớn",
        "Chiều qua mưa lớn khiến phố Hàng Bông ngập sâu gần nửa mét. Nước rút rất chậm, "
        "nhiều xe máy chết máy giữa phố.",
        "transport",
        "hoan_kiem",
    ),
    Sample(
        "flood_nguyen_du",
        "Ngập lụt ngõ 12 Nguyễn Du mỗi khi mưa to",
        "Cứ mưa to là ngõ 12 Nguyễn Du lại ngập lụt, nước tràn vào nhà dân. "
        "Đề nghị phường nạo vét, khơi thông dòng chảy.",
        "transport",
        "cua_nam",
    ),
    Sample(
        "flood_school_yard",
        "Sân trường tiểu học Ba Đình bị ngập lụt",
        "Mỗi lần mưa, sân trường ngập lụt đến đầu gối, học sinh phải lội nước vào lớp. "
        "Nhà trường đã báo nhiều lần nhưng chưa được xử lý.",
        "education",
        "ba_dinh",
    ),
    Sample(
        "flood_after_storm",
        "Bão số 3 gây ngập lụt nhiều tuyến phố",
        "Sau cơn bão số 3, nhiều tuyến phố quanh hồ Hoàn Kiếm bị lụt, cây đổ chắn ngang lối đi. "
        "Đề nghị thu dọn sớm.",
        "environment",
        "hoan_kiem",
    ),
    Sample(
        "flood_river",
        "Nước sông Hồng dâng cao gây lũ lụt khu bãi giữa",
        "Nước sông Hồng lên nhanh làm ngập lụt khu dân cư bãi giữa, nhiều hộ phải sơ tán đồ đạc lên đê.",
        "environment",
        "ba_dinh",
    ),
    Sample(
        "flood_underpass",
        "Hầm chui Kim Liên ngập sâu sau mưa",
        "Hầm chui ngập gần một mét nước, nhiều ô tô chết máy phải bỏ lại. Đề nghị lắp biển cảnh báo mực nước.",
        "transport",
        "cua_nam",
    ),
    # Roads.
    Sample(
        "road_dt419",
        "Đường tỉnh 419 xuống cấp nghiêm trọng",
        "Mặt đường tỉnh 419 đoạn qua khu dân cư có nhiều ổ gà sâu, xe tải chạy qua làm bụi mù mịt.",
        "transport",
        "ba_dinh",
    ),
    Sample(
        "road_dt70",
        "Đường tỉnh 70 sụt lún trước chợ Tây Tựu",
        "Đoạn đường tỉnh 70 trước chợ Tây Tựu bị sụt lún sâu, ô tô phải đi chậm, giờ cao điểm "
        "thường xuyên ùn tắc.",
        "transport",
        "ba_dinh",
    ),
    Sample(
        "pothole_tran_hung_dao",
        "Ổ gà lớn trên đường Trần Hưng Đạo",
        "Đoạn đường Trần Hưng Đạo gần ga Hà Nội có nhiều ổ gà sâu, trời mưa đọng nước rất dễ ngã.",
        "transport",
        "hoan_kiem",
    ),
    Sample(
        "manhole",
        "Hố ga mất nắp trên phố Quang Trung",
        "Hố ga trước số 40 Quang Trung bị mất nắp nhiều ngày, người dân phải tự cắm cành cây để cảnh báo.",
        "transport",
        "cua_nam",
    ),
    # Drains.
    Sample(
        "drain_hang_bac",
        "Cống thoát nước phố Hàng Bạc bị tắc",
        "Cống thoát nước trước số nhà 45 Hàng Bạc bị tắc hơn một tuần, nước thải tràn lên vỉa hè "
        "bốc mùi hôi thối.",
        "environment",
        "hoan_kiem",
    ),
    Sample(
        "drain_broken_lid",
        "Nắp cống vỡ giữa ngã tư Lý Thường Kiệt",
        "Nắp cống ở ngã tư Lý Thường Kiệt – Quang Trung bị vỡ, không an toàn cho người đi xe máy vào ban đêm.",
        "transport",
        "cua_nam",
    ),
    Sample(
        "drain_blocked_by_site",
        "Nước không thoát được vì cống bị lấp",
        "Công trình xây nhà bên cạnh đổ đất lấp mất miệng cống, nước mưa không thoát được, "
        "tràn vào ngõ 8 Hàng Chuối.",
        "environment",
        "hoan_kiem",
    ),
    Sample(
        "drain_smell",
        "Cống ngầm khu tập thể Giảng Võ bốc mùi",
        "Hệ thống cống ngầm khu tập thể Giảng Võ lâu ngày không được nạo vét, mùi hôi bốc lên khắp các dãy nhà.",
        "environment",
        "ba_dinh",
    ),
    Sample(
        "drain_cable_works",
        "Thi công hạ ngầm cáp làm vỡ cống thoát nước",
        "Đơn vị thi công hạ ngầm cáp điện trên phố Lý Thường Kiệt làm vỡ một đoạn cống thoát nước, "
        "nước thải tràn lên vỉa hè.",
        "transport",
        "cua_nam",
    ),
    # Street lights.
    Sample(
        "light_phan_chu_trinh",
        "Đèn đường phố Phan Chu Trinh hỏng nhiều ngày",
        "Cả dãy đèn đường phố Phan Chu Trinh tắt từ tuần trước, buổi tối tối om, đã xảy ra hai vụ "
        "giật túi xách.",
        "transport",
        "hoan_kiem",
    ),
    Sample(
        "light_alley",
        "Ngõ 56 Hàng Bông không có đèn chiếu sáng",
        "Ngõ 56 dài gần 200 mét nhưng không có đèn đường, người già và trẻ em đi lại buổi tối rất nguy hiểm.",
        "transport",
        "hoan_kiem",
    ),
    Sample(
        "light_school_gate",
        "Đèn đường bị hỏng trước cổng trường Trưng Vương",
        "Cột đèn đường trước cổng trường THCS Trưng Vương bị hỏng, bóng đèn chập chờn rồi tắt hẳn.",
        "transport",
        "cua_nam",
    ),
    Sample(
        "traffic_light",
        "Đèn tín hiệu ngã tư Tràng Thi không hoạt động",
        "Đèn tín hiệu giao thông ở ngã tư Tràng Thi – Quán Sứ bị hỏng từ sáng, xe cộ đi lộn xộn "
        "rất dễ xảy ra tai nạn.",
        "transport",
        "hoan_kiem",
    ),
    # Garbage.
    Sample(
        "garbage_hang_bong",
        "Rác thải ùn ứ trên phố Hàng Bông",
        "Rác thải sinh hoạt không được thu gom ba ngày nay, gây mùi hôi cả khu phố.",
        "environment",
        "hoan_kiem",
    ),
    Sample(
        "garbage_market",
        "Chợ Cửa Nam đổ rác thải ra lòng đường",
        "Tiểu thương chợ Cửa Nam đổ rác thải ra lòng đường sau mỗi buổi chợ, xe thu gom đến rất muộn.",
        "environment",
        "cua_nam",
    ),
    Sample(
        "garbage_dumping",
        "Đổ trộm phế thải xây dựng ven hồ Thiền Quang",
        "Ban đêm có xe tải đổ trộm phế thải xây dựng và rác ở bờ hồ Thiền Quang, đề nghị lắp camera giám sát.",
        "environment",
        "hoan_kiem",
    ),
    Sample(
        "garbage_schedule",
        "Xe thu gom rác đến quá muộn",
        "Xe rác thường đến lúc 11 giờ đêm, người dân phải để rác ngoài đường cả buổi tối, rất mất vệ sinh.",
        "environment",
        "ba_dinh",
    ),
    Sample(
        "sanitation_wages",
        "Công nhân vệ sinh môi trường bị nợ lương",
        "Công nhân vệ sinh môi trường của công ty dịch vụ bị nợ lương ba tháng, nhiều người định nghỉ việc "
        "khiến rác không được thu gom.",
        "social-welfare",
        "hoan_kiem",
    ),
    # Noise.
    Sample(
        "noise_karaoke_night",
        "Tiếng ồn karaoke đến nửa đêm",
        "Nhà số 17 ngõ Tạm Thương hát karaoke đến 1 giờ sáng hầu như mỗi tối, tiếng ồn khiến người già "
        "và trẻ nhỏ không ngủ được.",
        "public-order",
        "hoan_kiem",
    ),
    Sample(
        "noise_karaoke_shop",
        "Quán karaoke mở loa công suất lớn",
        "Quán karaoke trên phố Hàng Mã mở loa hết cỡ, tiếng ồn vang khắp khu phố đến tận khuya. "
        "Đã nhắc nhiều lần nhưng chủ quán không chấp hành.",
        "public-order",
        "cua_nam",
    ),
    Sample(
        "noise_construction",
        "Công trình xây dựng thi công xuyên đêm",
        "Công trình xây dựng tòa nhà số 20 Hàng Bài thi công cả đêm, tiếng ồn của máy khoan và xe trộn "
        "bê tông làm cả khu phố mất ngủ.",
        "public-order",
        "hoan_kiem",
    ),
    Sample(
        "noise_loudspeaker",
        "Loa phường phát quá to lúc 5 giờ sáng",
        "Loa phát thanh của phường bật từ 5 giờ sáng với âm lượng rất lớn, tiếng ồn làm người già "
        "và người làm ca đêm mất ngủ.",
        "public-order",
        "ba_dinh",
    ),
    # Land.
    Sample(
        "land_boundary",
        "Tranh chấp đất đai giữa hai hộ liền kề",
        "Gia đình tôi và hộ bên cạnh tranh chấp ranh giới đất đai hơn hai năm, phường đã hòa giải "
        "hai lần nhưng không thành.",
        "land-housing",
        "ba_dinh",
    ),
    Sample(
        "land_inheritance",
        "Tranh chấp thừa kế nhà đất ở phố Hàng Gà",
        "Anh em trong gia đình tranh chấp ngôi nhà và mảnh đất cha mẹ để lại, hộ khẩu vẫn đứng tên bố. "
        "Đề nghị phường hướng dẫn thủ tục hòa giải.",
        "land-housing",
        "hoan_kiem",
    ),
    Sample(
        "land_certificate",
        "Chậm cấp sổ đỏ quá thời hạn",
        "Hồ sơ cấp giấy chứng nhận quyền sử dụng đất của tôi nộp từ tháng 6 năm ngoái, đến nay vẫn chưa "
        "có kết quả và không rõ lý do.",
        "land-housing",
        "cua_nam",
    ),
    Sample(
        "land_officer",
        "Cán bộ địa chính gây khó dễ khi làm thủ tục đất đai",
        "Cán bộ địa chính phường yêu cầu nộp thêm giấy tờ không có trong quy định và gợi ý phải "
        "'bồi dưỡng' thì mới giải quyết nhanh.",
        "misconduct",  # routed to the province
        "hoan_kiem",
    ),
    Sample(
        "public_land",
        "Lấn chiếm đất công làm bãi giữ xe",
        "Một hộ dân dựng mái tôn lấn chiếm đất công ở đầu ngõ 34 Quán Sứ để trông giữ xe thu tiền.",
        "land-housing",
        "cua_nam",
    ),
    # Water.
    Sample(
        "water_outage",
        "Mất nước sạch ba ngày liền ở khu tập thể Ngọc Khánh",
        "Khu tập thể Ngọc Khánh bị mất nước sạch từ thứ Sáu, đơn vị cấp nước không thông báo trước.",
        "environment",
        "ba_dinh",
    ),
    Sample(
        "water_dirty",
        "Nước máy có màu vàng và mùi lạ",
        "Nước sạch cấp cho tòa nhà 25 Lý Thường Kiệt có màu vàng đục, mùi clo nồng, người dân không dám "
        "dùng để nấu ăn.",
        "environment",
        "hoan_kiem",
    ),
    Sample(
        "water_pressure",
        "Nước sạch yếu, không lên được tầng ba",
        "Áp lực nước sạch buổi sáng rất yếu, các hộ từ tầng ba trở lên phải mua máy bơm tăng áp.",
        "environment",
        "cua_nam",
    ),
    # Schools.
    Sample(
        "school_fees",
        "Trường tiểu học lạm thu đầu năm học",
        "Đầu năm học, một trường tiểu học trên phố Hàng Bài thu quỹ lớp, tiền điều hòa và tiền máy chiếu, "
        "tổng cộng gần 3 triệu đồng mỗi học sinh.",
        "education",
        "hoan_kiem",
    ),
    Sample(
        "school_overcrowded",
        "Lớp học quá tải, 55 học sinh một lớp",
        "Trường THCS Ngọc Hà có lớp tới 55 học sinh, phòng học chật chội và nóng bức, giáo viên không "
        "bao quát được.",
        "education",
        "ba_dinh",
    ),
    Sample(
        "school_gate_traffic",
        "Ùn tắc trước cổng trường giờ tan học",
        "Phụ huynh đỗ xe tràn xuống lòng đường trước cổng trường tiểu học Điện Biên, giờ tan học "
        "thường xuyên tắc đường.",
        "transport",
        "cua_nam",
    ),
    # Hospitals and health.
    Sample(
        "hospital_wait",
        "Bệnh nhân chờ khám quá lâu tại Bệnh viện Việt Đức",
        "Mẹ tôi chờ khám ở Bệnh viện Việt Đức từ 6 giờ sáng đến 2 giờ chiều mới được gặp bác sĩ.",
        "health",
        "cua_nam",
    ),
    Sample(
        "hospital_fees",
        "Bệnh viện thu tiền thuốc có trong danh mục bảo hiểm y tế",
        "Khi nằm viện, tôi phải trả thêm tiền thuốc dù thuốc có trong danh mục bảo hiểm y tế, "
        "bệnh viện không giải thích.",
        "health",
        "hoan_kiem",
    ),
    Sample(
        "health_station_vaccine",
        "Trạm y tế phường Cửa Nam thiếu vắc xin",
        "Trạm y tế phường hết vắc xin sởi hơn một tháng, trẻ đến lịch tiêm phải chờ, phụ huynh rất lo lắng.",
        "health",
        "cua_nam",
    ),
    Sample(
        "hospital_parking",
        "Bãi gửi xe bệnh viện thu phí quá cao",
        "Bãi gửi xe trước cổng Bệnh viện Bạch Mai thu 30 nghìn đồng một lượt xe máy, cao gấp nhiều lần "
        "mức quy định.",
        "health",
        "ba_dinh",
    ),
    Sample(
        "food_safety",
        "Thịt không rõ nguồn gốc bán ở chợ Hàng Da",
        "Tiểu thương bán thịt không có dấu kiểm dịch, thực phẩm bày ngay dưới đất rất mất vệ sinh.",
        "health",
        "hoan_kiem",
    ),
    # Social insurance and welfare.
    Sample(
        "insurance_pension",
        "Chậm chi trả lương hưu",
        "Bố tôi nghỉ hưu từ tháng 3 nhưng đến nay cơ quan bảo hiểm xã hội vẫn chưa chi trả lương hưu, "
        "gia đình rất khó khăn.",
        "social-welfare",
        "ba_dinh",
    ),
    Sample(
        "insurance_employer",
        "Công ty nợ đóng bảo hiểm xã hội cho người lao động",
        "Công ty may trên phố Hàng Bông nợ đóng bảo hiểm xã hội của hơn 50 công nhân suốt hai năm.",
        "social-welfare",
        "hoan_kiem",
    ),
    Sample(
        "insurance_lump_sum",
        "Hồ sơ hưởng bảo hiểm xã hội một lần bị trả lại",
        "Tôi nộp hồ sơ hưởng BHXH một lần ba lần đều bị trả lại vì thiếu giấy tờ, mỗi lần cán bộ lại "
        "yêu cầu một loại khác.",
        "social-welfare",
        "cua_nam",
    ),
    Sample(
        "insurance_book",
        "Sổ bảo hiểm xã hội ghi sai năm sinh",
        "Sổ BHXH của tôi ghi sai năm sinh, cơ quan bảo hiểm yêu cầu tự liên hệ công ty cũ để sửa "
        "nhưng công ty đã giải thể.",
        "social-welfare",
        "ba_dinh",
    ),
    Sample(
        "elderly_allowance",
        "Chưa nhận được trợ cấp người cao tuổi",
        "Bà tôi đã 82 tuổi, nộp hồ sơ hưởng trợ cấp xã hội từ tháng Giêng nhưng đến nay vẫn chưa được nhận.",
        "social-welfare",
        "hoan_kiem",
    ),
    # Police and public order.
    Sample(
        "police_theft",
        "Công an phường chậm xử lý vụ trộm xe máy",
        "Nhà tôi bị mất trộm xe máy đêm mùng 5, đã trình báo công an phường nhưng sau hai tuần vẫn "
        "chưa có kết quả.",
        "public-order",
        "hoan_kiem",
    ),
    Sample(
        "police_gambling",
        "Tụ tập cờ bạc trong ngõ, đề nghị công an xử lý",
        "Tối nào cũng có nhóm thanh niên tụ tập đánh bạc trong ngõ 20 Phùng Hưng, đề nghị công an "
        "phường kiểm tra.",
        "public-order",
        "cua_nam",
    ),
    Sample(
        "police_residence",
        "Chậm giải quyết đăng ký thường trú",
        "Tôi nộp hồ sơ đăng ký thường trú qua cổng dịch vụ công từ ba tuần trước nhưng công an phường "
        "chưa giải quyết.",
        "admin-procedures",
        "ba_dinh",
    ),
    Sample(
        "sidewalk_encroach",
        "Lấn chiếm vỉa hè để bày hàng",
        "Các hộ kinh doanh trên phố Hàng Bạc bày hàng kín vỉa hè, người đi bộ phải đi xuống lòng đường.",
        "public-order",
        "hoan_kiem",
    ),
    Sample(
        "stray_dogs",
        "Chó thả rông không rọ mõm",
        "Nhiều hộ thả chó ra đường không rọ mõm, đã có hai trẻ em bị chó cắn ở vườn hoa Cửa Nam.",
        "public-order",
        "cua_nam",
    ),
    # Public works, power, pollution, trees.
    Sample(
        "works_sidewalk",
        "Công trình lát vỉa hè phố Hàng Bông bỏ dở",
        "Công trình lát đá vỉa hè phố Hàng Bông thi công từ tháng 4, đến nay vẫn bỏ dở, vật liệu để "
        "ngổn ngang trên lòng đường.",
        "transport",
        "hoan_kiem",
    ),
    Sample(
        "power_outage",
        "Mất điện liên tục trong mùa nắng nóng",
        "Phố Hàng Gai mất điện hai đến ba lần mỗi ngày trong tuần qua, nhiều gia đình có người già "
        "và trẻ nhỏ bị ảnh hưởng.",
        "other",
        "hoan_kiem",
    ),
    Sample(
        "pollution_factory",
        "Ô nhiễm khói bụi từ xưởng sản xuất bao bì",
        "Xưởng sản xuất bao bì trong ngõ 3 Hàng Chuối xả khói đen cả ngày, ô nhiễm không khí nghiêm trọng.",
        "environment",
        "cua_nam",
    ),
    Sample(
        "pollution_river",
        "Sông Tô Lịch ô nhiễm nặng",
        "Nước sông Tô Lịch đoạn qua phường đen kịt và bốc mùi hôi thối, người dân hai bên bờ phải "
        "đóng cửa cả ngày.",
        "environment",
        "ba_dinh",
    ),
    Sample(
        "tree_pruning",
        "Cây xanh nghiêng có nguy cơ gãy đổ",
        "Hàng cây sấu trên phố Trần Phú nghiêng ra lòng đường, mùa mưa gió rất dễ gãy đổ, đề nghị cắt tỉa sớm.",
        "environment",
        "hoan_kiem",
    ),
    Sample(
        "storm_tree",
        "Cây đổ sau bão chắn ngang phố Hàng Bài",
        "Cơn bão đêm qua làm bật gốc cây xà cừ trên phố Hàng Bài, cây đổ chắn ngang lòng đường chưa được dọn.",
        "environment",
        "hoan_kiem",
    ),
    # Look-alikes: the same folded letters, another meaning. Last, so the newest.
    Sample(
        "storm_roof",  # bão (storm), and bao hiem xa hoi once folded
        "Bão làm tốc mái nhà dân, đề nghị hỗ trợ",
        "Bão số 3 làm tốc mái tôn của năm hộ dân trong ngõ Hàng Chuối, rất nguy hiểm. "
        "Đề nghị phường hỗ trợ các hộ chính sách xã hội khắc phục.",
        "social-welfare",
        "cua_nam",
    ),
    Sample(
        "lut_wheels",  # lút, not lụt
        "Xe máy bị lút bánh trên đường Trần Hưng Đạo",
        "Đoạn đường đang thi công bị lún, bùn đất làm xe máy lút bánh, nhiều người bị ngã.",
        "transport",
        "hoan_kiem",
    ),
    Sample(
        "road_curve",  # cong (curved), not cống
        "Đoạn đường cong gắt thiếu biển cảnh báo",
        "Đoạn đường cong gắt trên đê Trần Khát Chân không có biển báo và gương cầu lồi, "
        "đã xảy ra nhiều vụ va chạm.",
        "transport",
        "ba_dinh",
    ),
    Sample(
        "drainage_company",  # công ty thoát nước, not cống thoát nước
        "Công ty thoát nước chậm khắc phục sự cố",
        "Đã ba ngày Công ty Thoát nước hẹn đến sửa đường ống vỡ trước ngõ 15 Hàng Chuối nhưng vẫn chưa "
        "thấy ai tới.",
        "environment",
        "hoan_kiem",
    ),
    Sample(
        "black_water",  # đen (black), and "đen. Đường" folds to "den duong"
        "Nước thải đen chảy ra sông Tô Lịch",
        "Nước thải từ xưởng nhuộm có màu đen. Đường ven sông lúc nào cũng bốc mùi hôi thối.",
        "environment",
        "ba_dinh",
    ),
    Sample(
        "oil_spill",  # dầu đen … mặt đường … bị: three words of "đèn đường bị hỏng" once folded
        "Dầu đen đổ loang trên mặt đường Lê Duẩn",
        "Xe bồn làm đổ dầu đen ra mặt đường Lê Duẩn, đã có ba xe máy bị trượt ngã.",
        "transport",
        "hoan_kiem",
    ),
    Sample(
        "car_parking",  # ô tô … trách nhiệm: o nhiem once folded
        "Ô tô đỗ kín ngõ 23 Cửa Nam suốt đêm",
        "Nhiều ô tô đỗ kín ngõ suốt đêm, xe cứu thương không vào được. Đề nghị làm rõ trách nhiệm "
        "của tổ dân phố.",
        "public-order",
        "cua_nam",
    ),
    Sample(
        "english_cram",  # tiếng Anh … ôn thi: tieng on once folded
        "Trung tâm ôn thi tiếng Anh thu học phí rồi đóng cửa",
        "Trung tâm ôn thi tiếng Anh trên phố Tràng Thi thu học phí cả khóa, dạy được nửa khóa thì "
        "đóng cửa, không trả lại tiền.",
        "education",
        "hoan_kiem",
    ),
    Sample(
        "library_leak",  # nước … sách: nuoc sach once folded
        "Thư viện phường bị dột, sách hư hỏng",
        "Mái thư viện phường bị dột nhiều chỗ, nước mưa làm ướt hàng trăm cuốn sách của thiếu nhi.",
        "education",
        "ba_dinh",
    ),
    Sample(
        "covid_family",  # dương tính, not đường tỉnh
        "Gia đình có người dương tính nhưng chưa được hướng dẫn",
        "Nhà tôi có hai người xét nghiệm dương tính với Covid-19 từ thứ Hai, đến nay trạm y tế phường "
        "vẫn chưa liên hệ hướng dẫn cách ly.",
        "health",
        "cua_nam",
    ),
    Sample(
        "covid_certificate",
        "Chưa được cấp giấy xác nhận khỏi Covid",
        "Tôi dương tính với Covid-19 tháng trước, nay đã âm tính nhưng phường chưa cấp giấy xác nhận "
        "để quay lại làm việc.",
        "health",
        "hoan_kiem",
    ),
    Sample(
        "covid_support",
        "Chưa nhận hỗ trợ cho F0 cách ly tại nhà",
        "Gia đình tôi có ba người dương tính với Covid, cách ly tại nhà 10 ngày nhưng chưa nhận được "
        "khoản hỗ trợ theo quy định.",
        "social-welfare",
        "ba_dinh",
    ),
)

KEYS = frozenset(sample.key for sample in PETITIONS)
assert len(KEYS) == len(PETITIONS), "petition keys must be unique"

# --- the queries ---------------------------------------------------------------------------------

#: How a tracking code may be typed (``PA-26-7KQ3M9``): whole, or its last six characters alone.
CODE_FORMS: dict[str, Callable[[str], str]] = {
    "as printed": lambda code: code,
    "lower case": str.lower,
    "with spaces": lambda code: code.replace("-", " "),
    "lower case with spaces": lambda code: code.replace("-", " ").lower(),
    "without dashes": lambda code: code.replace("-", ""),
    "padded with blanks": lambda code: f"  {code.lower()} ",
    "last six": lambda code: code.rsplit("-", 1)[1],
    "last six, lower case": lambda code: code.rsplit("-", 1)[1].lower(),
}


@dataclass(frozen=True)
class CodeOf:
    """The tracking code of petition ``key``, typed in ``form`` (a key of CODE_FORMS)."""

    key: str
    form: str

    def typed(self, codes: Mapping[str, str]) -> str:
        return CODE_FORMS[self.form](codes[self.key])


@dataclass(frozen=True)
class Query:
    """What an officer types, the petitions they expect, and (where it matters) the one that must come first."""

    typed: str | CodeOf
    relevant: frozenset[str]
    first: str | None = None

    def text(self, codes: Mapping[str, str]) -> str:
        return self.typed.typed(codes) if isinstance(self.typed, CodeOf) else self.typed

    @property
    def label(self) -> str:
        if isinstance(self.typed, CodeOf):
            return f"code of {self.typed.key} ({self.typed.form})"
        return described(self.typed)


@dataclass(frozen=True)
class Ordering:
    """For the query ``typed``, each of ``above`` is found and ranks above each of ``below`` found."""

    typed: str
    above: frozenset[str]
    below: frozenset[str]
    why: str


def described(text: str) -> str:
    """A query as the report shows it; decomposed (NFD) text is marked, since it prints the same."""
    return repr(text) + (" (NFD)" if text != nfc(text) else "")


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def q(typed: str | CodeOf, relevant: Iterable[str], first: str | None = None) -> Query:
    return Query(typed, frozenset(relevant), first)


def code(key: str, form: str) -> Query:
    return q(CodeOf(key, form), [key], first=key)


FLOOD = ["flood_hang_bong", "flood_nguyen_du", "flood_school_yard", "flood_after_storm", "flood_river"]
SUBMERGED = [*FLOOD, "flood_underpass"]
PROVINCIAL_ROAD = ["road_dt419", "road_dt70"]
COVID = ["covid_family", "covid_certificate", "covid_support"]
STREET_LIGHT = ["light_phan_chu_trinh", "light_alley", "light_school_gate"]
DRAIN = ["drain_hang_bac", "drain_broken_lid", "drain_blocked_by_site", "drain_smell", "drain_cable_works"]
STORM_DRAIN = ["drain_hang_bac", "drain_blocked_by_site", "drain_cable_works"]  # cống … thoát nước
GARBAGE = ["garbage_hang_bong", "garbage_market", "garbage_dumping"]  # rác and thải
NOISE = ["noise_karaoke_night", "noise_karaoke_shop", "noise_construction", "noise_loudspeaker"]
KARAOKE = ["noise_karaoke_night", "noise_karaoke_shop"]
LAND_DISPUTE = ["land_boundary", "land_inheritance"]
CLEAN_WATER = ["water_outage", "water_dirty", "water_pressure"]
SOCIAL_INSURANCE = ["insurance_pension", "insurance_employer", "insurance_lump_sum", "insurance_book"]
STORM = ["storm_tree", "storm_roof", "flood_after_storm"]
POLICE = ["police_theft", "police_gambling", "police_residence"]
POLLUTION = ["pollution_factory", "pollution_river"]
POTHOLE = ["pothole_tran_hung_dao", "road_dt419"]

QUERIES: tuple[Query, ...] = (
    # Flooding, however it is typed.
    q("ngập lụt", FLOOD),
    q("ngap lut", FLOOD),
    q("NGẬP LỤT", FLOOD),
    q(nfd("Ngập lụt"), FLOOD),
    q("lụt", FLOOD),
    q("ngập", SUBMERGED),
    q("ngập lụt Hàng Bông", ["flood_hang_bong"], first="flood_hang_bong"),
    # Provincial roads and positive tests: one folded spelling.
    q("đường tỉnh", PROVINCIAL_ROAD),
    q(nfd("đường tỉnh"), PROVINCIAL_ROAD),
    q("đường tỉnh 419", ["road_dt419"], first="road_dt419"),
    q("dương tính", COVID),
    q("DƯƠNG TÍNH", COVID),
    q("Covid dương tính", COVID),
    q("duong tinh", [*PROVINCIAL_ROAD, *COVID]),  # both readings are likely
    # Street lights: đèn, not đen (black) nor đến (to); d typed for đ.
    q("đèn đường", STREET_LIGHT),
    q("ĐÈN ĐƯỜNG", STREET_LIGHT),
    q("den duong", STREET_LIGHT),
    q("đèn đường bị hỏng", ["light_school_gate", "light_phan_chu_trinh"], first="light_school_gate"),
    # Drains: cống, not công, cổng, cộng or cong.
    q("cống", DRAIN),
    q(nfd("Cống"), DRAIN),
    q("cống thoát nước", STORM_DRAIN),
    q("cong thoat nuoc", STORM_DRAIN),
    q("hố ga", ["manhole"], first="manhole"),
    q("ho ga", ["manhole"], first="manhole"),
    q("ổ gà", POTHOLE),
    # Garbage.
    q("rác thải", GARBAGE),
    q("rac thai", GARBAGE),
    q("RÁC THẢI", GARBAGE),
    q("rác thải chợ Cửa Nam", ["garbage_market"], first="garbage_market"),
    # Noise.
    q("tiếng ồn", NOISE),
    q("tieng on", NOISE),
    q("tiếng ồn karaoke", KARAOKE),
    q("karaoke", KARAOKE),
    # Land.
    q("tranh chấp đất đai", LAND_DISPUTE, first="land_boundary"),
    q("tranh chap dat dai", LAND_DISPUTE, first="land_boundary"),
    q("chậm cấp sổ đỏ", ["land_certificate"], first="land_certificate"),
    # Water, schools, hospitals.
    q("nước sạch", CLEAN_WATER),
    q("nuoc sach", CLEAN_WATER),
    q("trường tiểu học", ["school_fees", "flood_school_yard", "school_gate_traffic"]),
    q("bệnh viện", ["hospital_wait", "hospital_fees", "hospital_parking"]),
    q("trạm y tế thiếu vắc xin", ["health_station_vaccine"], first="health_station_vaccine"),
    # Social insurance, and the storm that folds like it.
    q("bảo hiểm xã hội", SOCIAL_INSURANCE),
    q("bao hiem xa hoi", SOCIAL_INSURANCE),
    q("lương hưu", ["insurance_pension"], first="insurance_pension"),
    q("bão", STORM),
    # Public works, police, pollution, the rest.
    q("công trình", ["noise_construction", "works_sidewalk", "drain_blocked_by_site"]),
    q("công an", POLICE),
    q("cong an", POLICE),
    q("ô nhiễm", POLLUTION),
    q("o nhiem", POLLUTION),
    q("mất điện", ["power_outage"], first="power_outage"),
    q("chó cắn", ["stray_dogs"], first="stray_dogs"),
    q(
        "Hàng Bông",
        ["flood_hang_bong", "light_alley", "garbage_hang_bong", "insurance_employer", "works_sidewalk"],
    ),
    q("Hàng Bài", ["school_fees", "noise_construction", "storm_tree"]),
    # Tracking codes, whole and by their last six characters.
    code("drain_hang_bac", "as printed"),
    code("light_alley", "lower case"),
    code("covid_family", "with spaces"),
    code("land_certificate", "lower case with spaces"),
    code("noise_loudspeaker", "without dashes"),
    code("storm_roof", "padded with blanks"),
    code("manhole", "last six"),
    code("car_parking", "last six, lower case"),
)


def above(typed: str, good: Iterable[str], bad: Iterable[str], why: str) -> Ordering:
    return Ordering(typed, frozenset(good), frozenset(bad), why)


EXACT = "the exact spelling ranks above its folded look-alikes"
ALL_WORDS = "a petition with every word ranks above one lacking a word"

ORDERINGS: tuple[Ordering, ...] = (
    above("cống", DRAIN, ["road_curve", "light_school_gate", "police_theft", "school_fees"], EXACT),
    above(nfd("Cống"), DRAIN, ["road_curve", "light_school_gate", "police_theft"], EXACT),
    above("cống thoát nước", STORM_DRAIN, ["drainage_company"], EXACT),
    above("đường tỉnh", PROVINCIAL_ROAD, COVID, EXACT),
    above(nfd("đường tỉnh"), PROVINCIAL_ROAD, COVID, EXACT),
    above("dương tính", COVID, PROVINCIAL_ROAD, EXACT),
    above("DƯƠNG TÍNH", COVID, PROVINCIAL_ROAD, EXACT),
    above(
        "đèn đường", STREET_LIGHT, ["black_water", "oil_spill", "garbage_market", "garbage_schedule"], EXACT
    ),
    above("ĐÈN ĐƯỜNG", STREET_LIGHT, ["black_water", "oil_spill"], EXACT),
    above("lụt", FLOOD, ["lut_wheels"], EXACT),
    above("ô nhiễm", POLLUTION, ["car_parking"], EXACT),
    above("bão", STORM, [*SOCIAL_INSURANCE, "pollution_factory"], EXACT),
    above("bảo hiểm xã hội", SOCIAL_INSURANCE, ["storm_roof"], EXACT),
    above("tiếng ồn", NOISE, ["english_cram"], EXACT),
    above("nước sạch", CLEAN_WATER, ["library_leak"], EXACT),
    above("hố ga", ["manhole"], ["land_inheritance"], EXACT),
    above("ổ gà", POTHOLE, ["land_inheritance"], EXACT),
    above("công an", POLICE, ["drain_broken_lid"], EXACT),
    above(
        "đèn đường bị hỏng",
        ["light_school_gate"],
        ["light_phan_chu_trinh", "traffic_light", "oil_spill"],
        ALL_WORDS,
    ),
    above("tranh chấp đất đai", ["land_boundary"], ["land_inheritance", "land_officer"], ALL_WORDS),
    above("tranh chap dat dai", ["land_boundary"], ["land_inheritance", "land_officer"], ALL_WORDS),
    above(
        "ngập lụt Hàng Bông",
        ["flood_hang_bong"],
        ["garbage_hang_bong", "works_sidewalk", "flood_after_storm"],
        ALL_WORDS,
    ),
    above("rác thải chợ Cửa Nam", ["garbage_market"], ["garbage_hang_bong", "car_parking"], ALL_WORDS),
)


def _check_keys() -> None:
    named: set[str] = set()
    for query in QUERIES:
        named |= query.relevant | ({query.first} if query.first else set())
        assert query.first is None or query.first in query.relevant, query.label
    for ordering in ORDERINGS:
        named |= ordering.above | ordering.below
        assert not ordering.above & ordering.below, ordering.typed
    assert named <= KEYS, f"unknown petition keys: {sorted(named - KEYS)}"


_check_keys()

# --- loading -------------------------------------------------------------------------------------

#: Submissions are spread over the last weeks, in the order of PETITIONS (the look-alikes newest).
SPACING = dt.timedelta(hours=9)
_SUBMITTERS = (
    ("Nguyễn Văn An", "0912 345 678"),
    ("Trần Thị Bình", "0983 112 233"),
    ("Lê Minh Châu", "0868 456 789"),
    ("Phạm Thu Hà", "0703 221 144"),
)


@dataclass(frozen=True)
class Corpus:
    """The loaded petitions: key → case id and key → tracking code."""

    case_ids: dict[str, int]
    codes: dict[str, str]

    @property
    def keys_by_case(self) -> dict[int, str]:
        return {case_id: key for key, case_id in self.case_ids.items()}


def ba_dinh(tree: Tree) -> Unit:
    """A third commune of Hà Nội beside the two of the usual tree."""
    unit, _created = Unit.objects.get_or_create(
        code="W00004",
        defaults={"name": "Phường Ba Đình", "level": Level.COMMUNE, "parent": tree.hanoi, "admin_code": 4},
    )
    return unit


def load_petitions(tree: Tree, *, petitions: Sequence[Sample] = PETITIONS) -> Corpus:
    """Submit every petition through ``petition_submit`` (each opens its case) in three communes of Hà Nội.

    Every case is visible to the central level (``Scope(path_prefix="/")``); the one about an
    official's conduct is routed to the province, the rest stay at their commune.
    """
    communes = {"hoan_kiem": tree.hoan_kiem, "cua_nam": tree.cua_nam, "ba_dinh": ba_dinh(tree)}
    start = timezone.now() - SPACING * (len(petitions) + 1)
    case_ids: dict[str, int] = {}
    codes: dict[str, str] = {}
    for position, sample in enumerate(petitions):
        name, phone = _SUBMITTERS[position % len(_SUBMITTERS)]
        petition = petition_submit(
            category=sample.category,
            commune=communes[sample.commune],
            phone=phone,
            submitter_name=name,
            title=sample.title,
            text=sample.text,
            now=start + SPACING * position,
            notify=False,  # receipts are beside the point here
        ).petition
        case_ids[sample.key] = petition.case.pk
        codes[sample.key] = petition.tracking_code
    return Corpus(case_ids=case_ids, codes=codes)


# --- measuring -----------------------------------------------------------------------------------

#: How deep the ranking is read: ranks of relevant petitions beyond it count as not found.
DEPTH = 50
CUTOFF = 10  # recall@10


@dataclass(frozen=True)
class Outcome:
    """One query's ranking, read as keys, and how it scores."""

    label: str
    text: str
    ranked: tuple[str, ...]
    relevant: frozenset[str]

    def rank(self, key: str) -> int | None:
        """1-based rank of ``key``, or None if it was not returned (within DEPTH)."""
        return self.ranked.index(key) + 1 if key in self.ranked else None

    @property
    def reciprocal_rank(self) -> float:
        for position, key in enumerate(self.ranked, start=1):
            if key in self.relevant:
                return 1 / position
        return 0.0

    @property
    def missing(self) -> frozenset[str]:
        """Relevant petitions not in the top CUTOFF."""
        return self.relevant - set(self.ranked[:CUTOFF])

    @property
    def recall(self) -> float:
        return 1 - len(self.missing) / len(self.relevant)

    @property
    def perfect(self) -> bool:
        return self.reciprocal_rank == 1.0 and not self.missing

    def describe(self) -> str:
        top = ", ".join(f"{key}{'*' if key in self.relevant else ''}" for key in self.ranked[:CUTOFF])
        lines = [
            f"{self.label}: RR {self.reciprocal_rank:.2f}, recall@{CUTOFF} {self.recall:.2f}",
            f"    top {CUTOFF} (* relevant): {top or '(nothing)'}",
        ]
        if self.missing:
            where = ", ".join(f"{key} (#{self.rank(key) or '-'})" for key in sorted(self.missing))
            lines.append(f"    missing from the top {CUTOFF}: {where}")
        return "\n".join(lines)


@dataclass
class Report:
    outcomes: list[Outcome]
    #: One line per broken ordering check (``ORDERINGS``) or query whose ``first`` is not first.
    failed_orderings: list[str] = field(default_factory=list)

    @property
    def mrr(self) -> float:
        return sum(outcome.reciprocal_rank for outcome in self.outcomes) / len(self.outcomes)

    @property
    def recall_at_10(self) -> float:
        return sum(outcome.recall for outcome in self.outcomes) / len(self.outcomes)

    def summary(self) -> str:
        return (
            f"MRR {self.mrr:.3f}, recall@{CUTOFF} {self.recall_at_10:.3f} over {len(self.outcomes)} queries, "
            f"{len(self.failed_orderings)} failed ordering checks"
        )

    def failures(self) -> str:
        """The summary, every query not answered perfectly, and every failed ordering check."""
        lines = [self.summary()]
        imperfect = [outcome for outcome in self.outcomes if not outcome.perfect]
        if imperfect:
            lines.append("Queries not answered perfectly:")
            lines += [outcome.describe() for outcome in imperfect]
        if self.failed_orderings:
            lines.append("Failed ordering checks:")
            lines += [f"  {line}" for line in self.failed_orderings]
        return "\n".join(lines)


def _ranked(
    backend: SearchBackend, scope: Scope, text: str, keys_by_case: Mapping[int, str]
) -> tuple[str, ...]:
    result = backend.search(SearchQuery(scope=scope, text=text, sort="relevance", page_size=DEPTH))
    return tuple(keys_by_case.get(hit.case_id, f"case {hit.case_id}") for hit in result.hits)


def _ordering_failures(ordering: Ordering, outcome: Outcome) -> list[str]:
    failures = []
    for good in sorted(ordering.above):
        good_rank = outcome.rank(good)
        if good_rank is None:
            failures.append(f"{outcome.label}: {good} not found ({ordering.why})")
            continue
        for bad in sorted(ordering.below):
            bad_rank = outcome.rank(bad)
            if bad_rank is not None and bad_rank < good_rank:
                failures.append(
                    f"{outcome.label}: {bad} (#{bad_rank}) above {good} (#{good_rank}) ({ordering.why})"
                )
    return failures


def measure(
    backend: SearchBackend,
    scope: Scope,
    corpus: Corpus,
    *,
    queries: Sequence[Query] = QUERIES,
    orderings: Sequence[Ordering] = ORDERINGS,
) -> Report:
    """Run every query against ``backend`` within ``scope`` and score the rankings.

    MRR: the mean over queries of 1/rank of the first relevant hit (0 if none within DEPTH).
    Recall@10: the mean over queries of the share of relevant petitions in the top 10.
    Ordering checks: ``orderings``, and each query's ``first`` at rank 1.
    """
    keys_by_case = corpus.keys_by_case
    report = Report(outcomes=[])
    for query in queries:
        text = query.text(corpus.codes)
        outcome = Outcome(
            label=query.label,
            text=text,
            ranked=_ranked(backend, scope, text, keys_by_case),
            relevant=query.relevant,
        )
        report.outcomes.append(outcome)
        if query.first is not None and outcome.ranked[:1] != (query.first,):
            got = outcome.ranked[0] if outcome.ranked else "nothing"
            report.failed_orderings.append(f"{outcome.label}: {query.first} must rank first, got {got}")
    for ordering in orderings:
        outcome = Outcome(
            label=described(ordering.typed),
            text=ordering.typed,
            ranked=_ranked(backend, scope, ordering.typed, keys_by_case),
            relevant=ordering.above,
        )
        report.failed_orderings += _ordering_failures(ordering, outcome)
    return report
