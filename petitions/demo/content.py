"""The demo's words and places: staff, wards, Vietnamese names, petition texts and replies.

Pure data (no database access), kept apart from the generator in ``builder``.
All text is Vietnamese with diacritics, NFC.
"""

from __future__ import annotations

from typing import NamedTuple

from routing.models import Role
from routing.units import CENTRAL_CODE

# --- staff ----------------------------------------------------------------------


class DemoStaff(NamedTuple):
    username: str
    role: str
    unit_code: str
    full_name: str


DEMO_STAFF: tuple[DemoStaff, ...] = (
    DemoStaff("demo.officer", Role.OFFICER, "W00070", "Nguyễn Thu Trang"),
    DemoStaff("demo.officer2", Role.OFFICER, "W00070", "Trần Minh Đức"),
    DemoStaff("demo.leader", Role.LEADER, "W00070", "Phạm Văn Hòa"),
    DemoStaff("demo.province.officer", Role.OFFICER, "P01", "Lê Thị Hồng Nhung"),
    DemoStaff("demo.province.leader", Role.LEADER, "P01", "Đỗ Quang Vinh"),
    DemoStaff("demo.central.officer", Role.OFFICER, CENTRAL_CODE, "Vũ Ngọc Anh"),
    DemoStaff("demo.central.leader", Role.LEADER, CENTRAL_CODE, "Hoàng Đức Thắng"),
    DemoStaff("demo.admin", Role.ADMIN, CENTRAL_CODE, "Bùi Thanh Hà"),
    DemoStaff("demo.cuanam.officer", Role.OFFICER, "W00073", "Ngô Thị Lan"),
    DemoStaff("demo.cuanam.leader", Role.LEADER, "W00073", "Đặng Văn Khoa"),
    DemoStaff("demo.hcm.officer", Role.OFFICER, "P79", "Huỳnh Thị Mỹ Linh"),
    DemoStaff("demo.hcm.leader", Role.LEADER, "P79", "Trương Minh Tuấn"),
    DemoStaff("demo.benthanh.officer", Role.OFFICER, "W26743", "Võ Hoàng Nam"),
    DemoStaff("demo.benthanh.leader", Role.LEADER, "W26743", "Lý Thị Kim Oanh"),
    DemoStaff("demo.danang.officer", Role.OFFICER, "P48", "Phan Văn Lợi"),
    DemoStaff("demo.danang.leader", Role.LEADER, "P48", "Trần Thị Thu Hiền"),
    DemoStaff("demo.haichau.officer", Role.OFFICER, "W20242", "Nguyễn Hữu Phước"),
    DemoStaff("demo.haichau.leader", Role.LEADER, "W20242", "Lê Văn Tâm"),
    DemoStaff("demo.hue.officer", Role.OFFICER, "P46", "Tôn Nữ Minh Châu"),
    DemoStaff("demo.hue.leader", Role.LEADER, "P46", "Hồ Đăng Quang"),
    DemoStaff("demo.thuanhoa.officer", Role.OFFICER, "W19786", "Nguyễn Phước Bảo"),
    DemoStaff("demo.thuanhoa.leader", Role.LEADER, "W19786", "Lê Thị Diệu Hương"),
)
DEMO_SUPERUSER = "demo.admin"
STAFFED_UNITS = frozenset(s.unit_code for s in DEMO_STAFF)


# --- places ---------------------------------------------------------------------


class DemoPlace(NamedTuple):
    """A ward where demo petitions happen (its point and area come from the unit: ``load_units``)."""

    commune: str
    province: str
    weight: float
    #: Comma-separated, each with its kind: "phố Hàng Bông, phố Hàng Gai".
    street_list: str

    @property
    def streets(self) -> list[str]:
        return [street.strip() for street in self.street_list.split(",")]


# All demo places are wards ("phường"): the petition texts speak of "phường".
DEMO_PLACES: tuple[DemoPlace, ...] = (
    # Hà Nội, with Phường Hoàn Kiếm (the demo officer's ward) the busiest.
    DemoPlace(
        "W00070",
        "P01",
        40,
        (
            "phố Hàng Bông, phố Hàng Gai, phố Hàng Bạc, phố Hàng Đào, phố Hàng Trống, "
            "phố Đinh Tiên Hoàng, phố Lý Thái Tổ, phố Tràng Tiền, phố Hàng Bè, phố Mã Mây, "
            "phố Lò Sũ, phố Hàng Buồm, phố Cầu Gỗ, phố Nhà Thờ, phố Bảo Khánh, phố Hàng Mành"
        ),
    ),
    DemoPlace(
        "W00073",
        "P01",
        8,
        (
            "phố Quán Sứ, phố Thợ Nhuộm, phố Hàng Bài, phố Lý Thường Kiệt, phố Trần Hưng Đạo, "
            "phố Phan Bội Châu, phố Nguyễn Du, phố Lê Duẩn"
        ),
    ),
    DemoPlace(
        "W00004",
        "P01",
        1.5,
        (
            "phố Phan Đình Phùng, phố Quán Thánh, phố Hàng Bún, phố Nguyễn Trường Tộ, "
            "đường Hoàng Hoa Thám, phố Đội Cấn"
        ),
    ),
    DemoPlace(
        "W00235",
        "P01",
        1.5,
        (
            "phố Tôn Đức Thắng, phố Khâm Thiên, phố Nguyễn Lương Bằng, phố Hào Nam, phố Xã Đàn, "
            "phố Đặng Tiến Đông"
        ),
    ),
    DemoPlace(
        "W00167",
        "P01",
        1.5,
        (
            "đường Cầu Giấy, phố Trần Thái Tông, phố Duy Tân, phố Dịch Vọng Hậu, đường Xuân Thủy, "
            "phố Trần Đăng Ninh"
        ),
    ),
    DemoPlace(
        "W00103",
        "P01",
        1.5,
        ("đường Lạc Long Quân, phố Xuân Diệu, phố Tô Ngọc Vân, đường Âu Cơ, phố Quảng An, phố Đặng Thai Mai"),
    ),
    DemoPlace(
        "W00256",
        "P01",
        1.5,
        "phố Bạch Mai, phố Lò Đúc, phố Huế, phố Thanh Nhàn, phố Lê Thanh Nghị, phố Minh Khai",
    ),
    DemoPlace(
        "W00148",
        "P01",
        1.5,
        ("đường Nguyễn Văn Cừ, phố Ngọc Lâm, đường Ngô Gia Tự, phố Nguyễn Sơn, phố Ngọc Thụy, phố Bồ Đề"),
    ),
    # Thành phố Hồ Chí Minh
    DemoPlace(
        "W26743",
        "P79",
        10,
        (
            "đường Lê Lợi, đường Lê Thánh Tôn, đường Nguyễn Trãi, đường Phạm Ngũ Lão, "
            "đường Bùi Viện, đường Cống Quỳnh, đường Nguyễn Thái Học, đường Lý Tự Trọng"
        ),
    ),
    DemoPlace(
        "W26740",
        "P79",
        1.5,
        (
            "đường Đồng Khởi, đường Nguyễn Huệ, đường Tôn Đức Thắng, đường Mạc Thị Bưởi, "
            "đường Nguyễn Du, đường Hai Bà Trưng"
        ),
    ),
    DemoPlace(
        "W26737",
        "P79",
        1.5,
        (
            "đường Trần Quang Khải, đường Đinh Công Tráng, đường Trần Khắc Chân, "
            "đường Nguyễn Hữu Cầu, đường Hai Bà Trưng"
        ),
    ),
    DemoPlace(
        "W26824",
        "P79",
        1.5,
        ("đường Võ Văn Ngân, đường Kha Vạn Cân, đường Đặng Văn Bi, đường Lê Văn Chí, đường Hoàng Diệu 2"),
    ),
    # Thành phố Đà Nẵng
    DemoPlace(
        "W20242",
        "P48",
        7,
        (
            "đường Bạch Đằng, đường Trần Phú, đường Lê Duẩn, đường Hùng Vương, "
            "đường Phan Châu Trinh, đường Ông Ích Khiêm, đường Nguyễn Văn Linh"
        ),
    ),
    DemoPlace(
        "W20209",
        "P48",
        1,
        "đường Điện Biên Phủ, đường Hà Huy Tập, đường Lê Độ, đường Trần Cao Vân",
    ),
    DemoPlace(
        "W20263",
        "P48",
        1,
        "đường Võ Nguyên Giáp, đường Ngô Quyền, đường Phạm Văn Đồng, đường Hồ Nghinh",
    ),
    # Thành phố Huế
    DemoPlace(
        "W19786",
        "P46",
        6,
        (
            "đường Lê Lợi, đường Hùng Vương, đường Bến Nghé, đường Nguyễn Huệ, đường Hà Nội, "
            "đường Đội Cung, đường Trần Quang Khải"
        ),
    ),
    DemoPlace(
        "W19768",
        "P46",
        1,
        ("đường Đinh Tiên Hoàng, đường Mai Thúc Loan, đường Lê Duẩn, đường Đoàn Thị Điểm, đường Chi Lăng"),
    ),
    # Provinces without demo staff: their petitions wait at the ward or are withdrawn.
    DemoPlace(
        "W11311",
        "P31",
        2.5,
        ("đường Hoàng Văn Thụ, đường Điện Biên Phủ, đường Minh Khai, đường Tam Bạc, đường Lý Thường Kiệt"),
    ),
    DemoPlace(
        "W31135",
        "P92",
        2,
        ("đường Hai Bà Trưng, đường Hòa Bình, đường Nguyễn Trãi, đường 30 Tháng 4, đường Mậu Thân"),
    ),
    DemoPlace(
        "W31120",
        "P92",
        1,
        "đường Trần Phú, đường Cách Mạng Tháng 8, đường Trần Văn Khéo",
    ),
    DemoPlace(
        "W14797",
        "P38",
        2,
        "đường Lê Lợi, đường Trần Phú, đường Bà Triệu, đường Phan Chu Trinh, đường Lê Hoàn",
    ),
    DemoPlace(
        "W06685",
        "P22",
        1,
        "đường Lê Thánh Tông, đường Bến Đoan, đường Lê Lợi",
    ),
    DemoPlace(
        "W06673",
        "P22",
        1,
        "đường Hạ Long, đường Hậu Cần, đường Anh Đào, đường Hoàng Quốc Việt",
    ),
    DemoPlace(
        "W16681",
        "P40",
        1.5,
        (
            "đường Quang Trung, đường Lê Lợi, đường Nguyễn Thị Minh Khai, đường Trường Thi, "
            "đường Lê Hồng Phong"
        ),
    ),
    DemoPlace(
        "W22366",
        "P56",
        1.5,
        ("đường Trần Phú, đường Thống Nhất, đường Yersin, đường Lê Thánh Tôn, đường Nguyễn Thiện Thuật"),
    ),
)

#: What a lane is called: "ngõ" in the north, "hẻm" in the south, "kiệt" in Huế and Đà Nẵng.
LANE_WORDS = {"P79": "hẻm", "P92": "hẻm", "P48": "kiệt", "P46": "kiệt"}


# --- people ---------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _weighted(text: str) -> tuple[tuple[str, float], ...]:
    """ "Nguyễn 31, Trần 11" -> (("Nguyễn", 31.0), ("Trần", 11.0))."""
    pairs = (item.strip().rsplit(" ", 1) for item in text.split(","))
    return tuple((name, float(weight)) for name, weight in pairs)


FAMILY_NAMES = _weighted(
    "Nguyễn 31, Trần 11, Lê 9, Phạm 7, Hoàng 4, Phan 4, Huỳnh 3, Vũ 3, Võ 3, Đặng 2, Bùi 2, "
    "Đỗ 2, Hồ 2, Ngô 2, Dương 1, Lý 1, Đinh 1, Trịnh 1, Lương 1, Mai 1, Cao 1, Tạ 1, Đào 1, "
    "Chu 1, Lâm 1, Tô 1"
)
MALE_MIDDLE_NAMES = _weighted(
    "Văn 30, Đức 6, Minh 6, Quang 5, Hữu 5, Thanh 4, Công 4, Xuân 3, Ngọc 3, Anh 2, Gia 2, Tiến 2, Trọng 2"
)
FEMALE_MIDDLE_NAMES = _weighted(
    "Thị 30, Thu 5, Ngọc 5, Thanh 4, Minh 3, Phương 3, Hồng 3, Thùy 3, Mai 2, Kim 2, Bích 2, Khánh 2, Diệu 2"
)
FEMALE_SECOND_MIDDLE_NAMES = _words("Thu Ngọc Thanh Minh Phương Hồng Thùy Kim Bích Diệu")
MALE_GIVEN_NAMES = _words(
    "An Bình Cường Dũng Đức Hải Hùng Huy Khánh Long Minh Nam Phong Quân Sơn Thắng Tuấn Việt "
    "Hoàng Trung Hiếu Tùng Thành Đạt Phúc Lâm Kiên Hưng Toàn Vinh"
)
FEMALE_GIVEN_NAMES = _words(
    "Anh Chi Dung Hà Hạnh Hằng Hoa Hương Lan Linh Loan Mai Ngọc Nhung Oanh Phương Quỳnh Thảo "
    "Trang Vân Yến Hiền Giang Huyền Thủy Tâm Nga Duyên Hậu Liên"
)
#: Vietnamese mobile prefixes (after the leading 0).
MOBILE_PREFIXES = _words(
    "90 91 93 94 96 97 98 32 33 34 35 36 37 38 39 70 76 77 78 79 81 82 83 84 85 86 88 56 58"
)


# --- what citizens write, and what the officers answer ---------------------------


class PetitionTemplate(NamedTuple):
    """A petition and the response an officer would draft for it.

    Placeholders: ``{street}`` ("phố Hàng Bông"), ``{lane}`` ("ngõ 12 Hàng Bông"),
    ``{no}`` (a house number) and ``{commune}`` ("phường Hoàn Kiếm").
    """

    title: str
    text: str
    response: str


T = PetitionTemplate

PETITION_TEMPLATES: dict[str, tuple[PetitionTemplate, ...]] = {
    "land-housing": (
        T(
            "Công trình xây dựng sai phép ở {lane}",
            "Khoảng hai tháng nay, hộ gia đình ở số {no} {lane} cơi nới thêm tầng 4 và đổ ban công vượt ra "
            "ngoài chỉ giới. Công trình không treo biển báo cấp phép, thi công cả buổi tối, vật liệu rơi xuống "
            "lối đi chung gây nguy hiểm cho người qua lại. Đề nghị kiểm tra giấy phép xây dựng và xử lý theo "
            "quy định.",
            "Qua kiểm tra thực tế, tổ công tác đã lập biên bản vi phạm trật tự xây dựng, yêu cầu chủ công "
            "trình dừng thi công và tự tháo dỡ phần cơi nới sai phép trong 15 ngày. Chúng tôi sẽ giám sát việc "
            "chấp hành và cưỡng chế nếu chủ công trình không tự khắc phục.",
        ),
        T(
            "Chậm cấp giấy chứng nhận quyền sử dụng đất",
            "Gia đình tôi nộp hồ sơ đề nghị cấp giấy chứng nhận quyền sử dụng đất cho thửa đất ở {lane} đã hơn "
            "bốn tháng, quá xa so với thời hạn ghi trên giấy hẹn. Mỗi lần hỏi đều được trả lời đang chờ xác "
            "minh nguồn gốc đất. Kính đề nghị cho biết hồ sơ đang vướng ở khâu nào và khi nào có kết quả.",
            "Hồ sơ của gia đình chậm do phải xác minh nguồn gốc sử dụng đất với các hộ liền kề. Việc xác minh "
            "đã hoàn tất, hồ sơ đã được chuyển Văn phòng Đăng ký đất đai để in giấy chứng nhận; dự kiến trả kết "
            "quả trong 10 ngày làm việc. Chúng tôi xin lỗi gia đình về sự chậm trễ.",
        ),
        T(
            "Hộ liền kề xây tường lấn lối đi chung",
            "Hộ liền kề tự ý xây tường rào lấn ra lối đi chung ở {lane}, lối đi chỉ còn khoảng 80 cm, xe máy "
            "khó đi qua và xe cứu hỏa không thể tiếp cận. Các hộ đã hòa giải ở tổ dân phố hai lần nhưng không "
            "thành. Đề nghị chính quyền đo đạc lại ranh giới và giải quyết dứt điểm.",
            "Cán bộ địa chính đã đo đạc, xác định phần tường rào lấn ra lối đi chung khoảng 0,6 m. Tại buổi hòa "
            "giải có đại diện tổ dân phố, hộ liên quan đã cam kết tháo dỡ phần lấn chiếm và khôi phục lối đi "
            "trong 10 ngày. Chúng tôi sẽ kiểm tra việc thực hiện.",
        ),
        T(
            "Nhà ở xuống cấp nguy hiểm sau mưa lớn",
            "Căn nhà cấp bốn số {no} {street} nơi gia đình tôi đang ở bị nứt tường, thấm dột nặng sau trận mưa "
            "lớn tuần trước, một phần mái ngói đã sụp. Gia đình thuộc diện khó khăn, không đủ khả năng tự sửa "
            "chữa. Xin đề nghị chính quyền kiểm tra mức độ nguy hiểm và xem xét hỗ trợ sửa chữa nhà.",
            "Đoàn kiểm tra đã khảo sát, xác định căn nhà có nguy cơ mất an toàn và hỗ trợ gia đình tạm chuyển "
            "đồ đạc sang nhà văn hóa tổ dân phố. Hồ sơ đề nghị hỗ trợ sửa chữa nhà ở cho hộ khó khăn đã được "
            "lập, mức hỗ trợ sẽ được thông báo sau khi cấp có thẩm quyền phê duyệt.",
        ),
        T(
            "Bồi thường giải phóng mặt bằng chưa thỏa đáng",
            "Thửa đất của gia đình tôi nằm trong phạm vi thu hồi để mở rộng {street}. Đơn giá bồi thường thấp "
            "hơn nhiều so với giá giao dịch thực tế trong khu vực, phần công trình trên đất chưa được kiểm đếm "
            "đầy đủ. Đề nghị xem xét lại phương án bồi thường và công khai bảng giá đất áp dụng.",
            "Hội đồng bồi thường đã kiểm đếm bổ sung phần công trình phụ chưa được ghi nhận và điều chỉnh "
            "phương án bồi thường của gia đình. Bảng giá đất áp dụng cho dự án đã được niêm yết tại trụ sở và "
            "nhà văn hóa khu dân cư; ông/bà có thể liên hệ Ban bồi thường để được giải thích chi tiết.",
        ),
        T(
            "Khu tập thể cũ có dấu hiệu mất an toàn",
            "Khu tập thể cũ ở {lane} xây từ những năm 1970, nhiều mảng bê tông ở ban công và cầu thang đã bong "
            "tróc, lộ cốt thép han gỉ. Đã có lần vữa rơi trúng xe máy để dưới sân. Các hộ dân đề nghị kiểm định "
            "chất lượng công trình và sớm có phương án cải tạo.",
            "Chúng tôi đã đề nghị Sở Xây dựng kiểm định khu tập thể; trước mắt đã căng dây cảnh báo, gia cố tạm "
            "các ban công có nguy cơ rơi vỡ. Khu nhà đã được đưa vào danh mục chung cư cũ cần cải tạo, kết quả "
            "kiểm định sẽ được thông báo tới các hộ dân.",
        ),
        T(
            "Đề nghị công khai quy hoạch chi tiết khu vực",
            "Người dân ở {street} nghe tin khu vực bị ảnh hưởng bởi quy hoạch mở đường nhưng không rõ phạm vi "
            "cụ thể, nên việc sửa nhà, mua bán nhà đất đều bị đình trệ. Đề nghị cung cấp thông tin quy hoạch "
            "chi tiết và chỉ giới đường đỏ để người dân yên tâm.",
            "Đồ án quy hoạch chi tiết khu vực đã được phê duyệt và công khai trên cổng thông tin quy hoạch của "
            "địa phương. Theo đồ án, tuyến đường chưa có kế hoạch mở rộng trong giai đoạn hiện nay; người dân "
            "có thể đề nghị cung cấp thông tin quy hoạch cho từng thửa đất tại bộ phận một cửa.",
        ),
        T(
            "Nhà bên cạnh thi công làm nứt tường nhà tôi",
            "Từ khi nhà số {no} {street} đào móng xây mới, tường nhà tôi liền kề xuất hiện nhiều vết nứt dài, "
            "nền nhà bị lún. Chủ công trình hứa bồi thường nhưng chưa thực hiện, vẫn tiếp tục thi công. Đề nghị "
            "kiểm tra hiện trạng, lập biên bản và yêu cầu chủ đầu tư có biện pháp bảo đảm an toàn cho nhà liền "
            "kề.",
            "Tổ công tác đã lập biên bản hiện trạng nhà ông/bà, yêu cầu chủ công trình tạm dừng phần thi công "
            "tầng hầm và thuê đơn vị độc lập đánh giá mức độ hư hại. Hai bên đã thống nhất việc bồi thường sẽ "
            "căn cứ kết quả đánh giá, có sự chứng kiến của tổ dân phố.",
        ),
        T(
            "Chậm đăng ký biến động sau khi mua bán nhà đất",
            "Tôi nhận chuyển nhượng nhà đất ở {lane}, đã nộp đủ hồ sơ sang tên và hoàn thành nghĩa vụ tài chính "
            "từ hai tháng trước nhưng vẫn chưa được cập nhật biến động. Tra cứu trực tuyến chỉ thấy trạng thái "
            "“đang xử lý”. Kính đề nghị kiểm tra và đẩy nhanh tiến độ giải quyết.",
            "Hồ sơ của ông/bà bị chậm do thông tin thửa đất trên hệ thống chưa được chỉnh lý sau khi sắp xếp "
            "đơn vị hành chính. Văn phòng Đăng ký đất đai đã cập nhật xong biến động; ông/bà mang giấy hẹn đến "
            "nhận kết quả tại bộ phận một cửa.",
        ),
    ),
    "environment": (
        T(
            "Rác thải ùn ứ nhiều ngày ở {lane}",
            "Điểm tập kết rác ở đầu {lane} đã ba ngày không được thu gom, rác tràn ra lòng đường, bốc mùi hôi "
            "thối, ruồi nhặng bu kín. Trời nắng nóng nên mùi càng nặng, các hộ xung quanh phải đóng cửa cả "
            "ngày. Đề nghị đơn vị vệ sinh môi trường thu gom ngay và bố trí lịch thu cố định.",
            "Ngay khi nhận phản ánh, chúng tôi đã đề nghị đơn vị thu gom xử lý; rác tồn đọng đã được dọn sạch "
            "trong ngày. Đơn vị thu gom cam kết thu rác hằng ngày từ 18 giờ đến 21 giờ, đồng thời tổ dân phố sẽ "
            "nhắc các hộ bỏ rác đúng giờ.",
        ),
        T(
            "Xưởng gỗ trong khu dân cư xả khói bụi, mùi sơn",
            "Một xưởng gia công đồ gỗ trong khu dân cư ở {lane} thường xuyên phun sơn, xả khói bụi ra xung "
            "quanh, mùi dung môi rất nồng. Nhiều trẻ nhỏ và người già bị ho, khó thở. Xưởng còn hoạt động cả "
            "ban đêm. Đề nghị kiểm tra giấy phép môi trường và xử lý nghiêm.",
            "Đoàn kiểm tra liên ngành đã lập biên bản về hành vi gây ô nhiễm môi trường, yêu cầu cơ sở dừng "
            "phun sơn cho đến khi lắp hệ thống xử lý khí thải đạt chuẩn và không hoạt động sau 22 giờ. Chúng "
            "tôi sẽ kiểm tra đột xuất và xử phạt nếu tái phạm.",
        ),
        T(
            "Cống thoát nước tắc nghẽn, bốc mùi",
            "Cống thoát nước trên {street} bị tắc, nước thải đen đặc ứ đọng trước cửa nhiều hộ, bốc mùi hôi cả "
            "ngày. Mỗi khi mưa to, nước cống tràn lên mặt đường, chảy cả vào nhà dân. Đề nghị nạo vét cống và "
            "kiểm tra lại đường ống thoát nước.",
            "Đơn vị quản lý thoát nước đã nạo vét toàn tuyến cống trên {street} và thay đoạn ống bị vỡ. Đề nghị "
            "các hộ dân không đổ rác, dầu mỡ xuống cống để tránh tắc nghẽn trở lại.",
        ),
        T(
            "Chặt hạ cây xanh không thông báo cho người dân",
            "Sáng nay có một nhóm người đến chặt hai cây sấu lâu năm trước cửa số {no} {street} mà không thông "
            "báo cho người dân, cũng không xuất trình giấy phép. Hai cây vẫn khỏe, không có dấu hiệu mục gãy. "
            "Đề nghị làm rõ việc chặt hạ có được phép hay không và kế hoạch trồng cây thay thế.",
            "Qua xác minh, việc chặt hạ được thực hiện theo giấy phép do hai cây bị mục thân bên trong, có nguy "
            "cơ gãy đổ. Đơn vị quản lý cây xanh sẽ trồng thay thế cây cùng loại trong tháng tới; chúng tôi đã "
            "nhắc đơn vị thi công phải thông báo trước cho người dân.",
        ),
        T(
            "Đốt rác gây khói độc trong khu dân cư",
            "Tối nào cũng có người đốt rác, cả túi ni lông và đồ nhựa, ở khu đất trống cuối {lane}. Khói đen bay "
            "vào nhà dân, mùi khét rất khó chịu. Tổ dân phố đã nhắc nhở nhưng tình trạng vẫn tiếp diễn. Đề nghị "
            "có biện pháp ngăn chặn và dọn sạch bãi rác tự phát này.",
            "Phường đã dọn sạch bãi rác tự phát, rào khu đất trống và lắp biển cấm đổ, đốt rác. Công an khu vực "
            "đã xác định và xử phạt người đốt rác; tổ dân phố tiếp tục theo dõi vào buổi tối.",
        ),
        T(
            "Nước máy có màu vàng đục, mùi tanh",
            "Khoảng một tuần nay nước máy ở các hộ dân trong {lane} có màu vàng đục, mùi tanh, để lắng có cặn "
            "đen dưới đáy. Nhiều gia đình phải mua nước bình để nấu ăn. Đề nghị công ty cấp nước kiểm tra chất "
            "lượng nước và thông báo nguyên nhân cho người dân.",
            "Công ty cấp nước đã xác định nguyên nhân là đường ống nhánh bị vỡ, bùn đất lọt vào; đoạn ống đã "
            "được thay và toàn tuyến đã được súc xả. Kết quả xét nghiệm mẫu nước sau sửa chữa đạt quy chuẩn; "
            "các hộ nên xả bỏ nước trong đường ống vài phút trước khi sử dụng.",
        ),
        T(
            "Công trình xây dựng gây bụi, không che chắn",
            "Công trình xây dựng cạnh số {no} {street} không có lưới che chắn, xe chở vật liệu ra vào không rửa "
            "bánh, đất cát vương vãi khắp mặt đường. Bụi bay mù mịt vào nhà dân, nhất là giờ tan tầm. Đề nghị "
            "yêu cầu chủ đầu tư che chắn công trình và vệ sinh mặt đường hằng ngày.",
            "Chủ đầu tư đã bị xử phạt vi phạm về bảo vệ môi trường trong thi công, đã lắp lưới che chắn, bố trí "
            "cầu rửa xe và người quét dọn mặt đường hằng ngày. Chúng tôi sẽ tiếp tục kiểm tra cho đến khi công "
            "trình hoàn thành.",
        ),
        T(
            "Cá chết, rác nổi trên mặt hồ",
            "Mặt hồ gần {street} xuất hiện nhiều rác nổi, có cả xác động vật bốc mùi. Từ hôm qua cá chết nổi "
            "trắng một góc hồ, nước hồ chuyển màu xanh đen. Đề nghị vớt rác, xử lý mùi và tìm nguyên nhân khiến "
            "cá chết.",
            "Đơn vị quản lý hồ đã vớt rác, cá chết và rải chế phẩm khử mùi. Kết quả quan trắc cho thấy lượng "
            "oxy trong nước giảm mạnh do nắng nóng kéo dài; máy sục khí đã được lắp đặt và chất lượng nước sẽ "
            "được theo dõi hằng tuần.",
        ),
        T(
            "Điểm tập kết rác đặt sát cổng trường học",
            "Điểm tập kết rác tạm được đặt ngay sát cổng trường tiểu học trên {street}, xe gom rác đỗ đúng vào "
            "giờ học sinh đến trường. Phụ huynh rất lo ngại về vệ sinh và an toàn cho các cháu. Đề nghị di dời "
            "điểm tập kết rác sang vị trí phù hợp hơn.",
            "Điểm tập kết rác đã được chuyển sang vị trí cách cổng trường khoảng 150 m; giờ thu gom được điều "
            "chỉnh, không trùng giờ học sinh đến trường và tan học.",
        ),
    ),
    "transport": (
        T(
            "Ổ gà lớn gây nguy hiểm trên {street}",
            "Mặt đường {street} đoạn trước số nhà {no} có nhiều ổ gà sâu, có ổ rộng gần nửa mét. Trời mưa nước "
            "đọng che khuất ổ gà, đã có mấy người đi xe máy bị ngã. Đề nghị đơn vị quản lý đường sớm vá lại mặt "
            "đường.",
            "Đơn vị duy tu đường bộ đã vá các ổ gà trên {street}. Tuyến đường cũng đã được đưa vào kế hoạch "
            "thảm lại mặt đường trong năm nay.",
        ),
        T(
            "Đèn tín hiệu giao thông bị hỏng gần một tuần",
            "Cụm đèn tín hiệu ở nút giao trên {street} đã hỏng gần một tuần, chỉ nhấp nháy vàng. Giờ cao điểm "
            "xe cộ đi lộn xộn, ùn tắc kéo dài và rất dễ xảy ra va chạm. Đề nghị sửa chữa sớm và bố trí người "
            "phân luồng trong thời gian chờ khắc phục.",
            "Đèn tín hiệu đã được thay bộ điều khiển và hoạt động bình thường trở lại. Trong thời gian sửa "
            "chữa, lực lượng cảnh sát giao thông đã bố trí người phân luồng vào giờ cao điểm.",
        ),
        T(
            "Đèn chiếu sáng công cộng không hoạt động",
            "Cả dãy đèn chiếu sáng trong {lane} bị tắt từ đầu tháng, buổi tối tối om. Tuần qua đã xảy ra hai "
            "vụ giật túi xách ở đây. Đề nghị đơn vị quản lý chiếu sáng kiểm tra và sửa chữa sớm.",
            "Đơn vị quản lý chiếu sáng đã thay tủ điện và các bóng đèn hỏng, hệ thống chiếu sáng đã hoạt động "
            "trở lại. Công an phường cũng tăng cường tuần tra vào buổi tối tại khu vực.",
        ),
        T(
            "Nắp hố ga vỡ giữa lòng đường",
            "Nắp hố ga trước số {no} {street} bị vỡ một nửa, người dân phải tạm cắm cành cây để cảnh báo. Ban "
            "đêm rất khó nhìn thấy, xe máy có thể sập bánh. Đề nghị thay nắp hố ga khẩn cấp.",
            "Nắp hố ga đã được thay mới ngay trong ngày tiếp nhận phản ánh. Cảm ơn ông/bà đã kịp thời thông "
            "tin.",
        ),
        T(
            "Bãi giữ xe tự phát chiếm vỉa hè, lòng đường",
            "Một bãi trông giữ xe không phép chiếm gần hết vỉa hè và một phần lòng đường {street}, thu phí cao "
            "hơn quy định. Người đi bộ phải xuống lòng đường, nhất là học sinh giờ tan trường. Đề nghị kiểm "
            "tra, xử lý và trả lại vỉa hè cho người đi bộ.",
            "Lực lượng chức năng đã xử phạt và giải tỏa bãi giữ xe không phép, vỉa hè đã được trả lại cho "
            "người đi bộ. Phường sẽ kiểm tra định kỳ, kể cả buổi tối, để tránh tái diễn.",
        ),
        T(
            "Xe tải trọng lớn đi vào đường cấm ban đêm",
            "Hằng đêm có nhiều xe tải chở vật liệu đi vào {street} dù có biển cấm xe trên 2,5 tấn. Mặt đường "
            "đã lún, nứt nhiều chỗ, nhà dân hai bên bị rung lắc. Đề nghị lực lượng chức năng tăng cường kiểm "
            "tra, xử lý vi phạm.",
            "Cảnh sát giao thông đã tổ chức các tổ công tác kiểm soát ban đêm trên tuyến, xử phạt nhiều trường "
            "hợp xe quá tải vi phạm biển cấm. Chủ các công trình có xe chở vật liệu đi qua tuyến đường đã được "
            "yêu cầu điều chỉnh lộ trình.",
        ),
        T(
            "Đề nghị lắp gờ giảm tốc trước cổng trường",
            "Đoạn {street} trước cổng trường học có nhiều xe chạy tốc độ cao, học sinh sang đường rất nguy "
            "hiểm. Tháng trước đã có một cháu bị xe máy va quệt. Đề nghị lắp gờ giảm tốc, biển báo khu vực "
            "trường học và vạch kẻ đường cho người đi bộ.",
            "Đề xuất lắp gờ giảm tốc, biển báo khu vực trường học và vạch sang đường đã được đơn vị quản lý "
            "đường bộ chấp thuận, dự kiến thi công trong 15 ngày tới. Trong thời gian chờ, công an phường bố "
            "trí lực lượng hỗ trợ học sinh qua đường giờ tan học.",
        ),
        T(
            "Công trình đào đường thi công kéo dài, thiếu cảnh báo",
            "Công trình cải tạo đường ống trên {street} đào đường từ hơn một tháng nay nhưng thi công cầm chừng, "
            "rào chắn chiếm hơn nửa lòng đường, ban đêm không có đèn cảnh báo. Đề nghị yêu cầu đơn vị thi công "
            "đẩy nhanh tiến độ và hoàn trả mặt đường.",
            "Đơn vị thi công đã bổ sung đèn cảnh báo, thu hẹp phạm vi rào chắn và cam kết hoàn trả mặt đường "
            "trước cuối tháng. Chúng tôi sẽ giám sát tiến độ và đề nghị xử lý nếu đơn vị thi công chậm trễ.",
        ),
        T(
            "Đề nghị lắp nhà chờ tại điểm dừng xe buýt",
            "Điểm dừng xe buýt trên {street} chỉ có một cột biển báo, không có mái che, ghế ngồi. Người già và "
            "học sinh phải đứng chờ dưới nắng mưa. Đề nghị xem xét lắp nhà chờ xe buýt tại vị trí này.",
            "Kiến nghị đã được chuyển tới đơn vị quản lý vận tải hành khách công cộng. Do vỉa hè đủ rộng, vị "
            "trí này đã được đưa vào danh sách lắp nhà chờ xe buýt trong quý tới.",
        ),
    ),
    "social-welfare": (
        T(
            "Mẹ tôi chưa nhận được trợ cấp xã hội ba tháng nay",
            "Mẹ tôi năm nay 82 tuổi, thuộc diện hưởng trợ cấp xã hội hằng tháng, nhưng ba tháng gần đây chưa "
            "nhận được tiền. Hỏi cán bộ thì được biết đang chuyển sang chi trả qua tài khoản, nhưng gia đình "
            "chưa được hướng dẫn gì. Đề nghị kiểm tra và hướng dẫn thủ tục để mẹ tôi nhận đủ trợ cấp.",
            "Qua rà soát, hồ sơ của cụ đã được chuyển sang chi trả qua tài khoản nhưng chưa cập nhật số tài "
            "khoản. Cán bộ phụ trách đã đến nhà hướng dẫn gia đình; khoản trợ cấp ba tháng còn thiếu sẽ được "
            "chi trả cùng kỳ chi tháng này.",
        ),
        T(
            "Đề nghị xem xét công nhận hộ cận nghèo",
            "Gia đình tôi có bốn người, chồng tôi bị tai nạn lao động không còn khả năng làm việc, một mình tôi "
            "bán hàng rong nuôi hai con nhỏ. Năm nay tôi đã nộp đơn nhưng gia đình không được đưa vào danh sách "
            "bình xét hộ cận nghèo. Đề nghị xem xét lại và giải thích tiêu chí cho gia đình tôi.",
            "Ban chỉ đạo giảm nghèo đã rà soát lại hồ sơ theo chuẩn nghèo đa chiều. Gia đình đủ điều kiện và đã "
            "được bổ sung vào danh sách hộ cận nghèo; thẻ bảo hiểm y tế cho các thành viên sẽ được cấp trong "
            "tháng tới.",
        ),
        T(
            "Con tôi khuyết tật nặng chưa được hưởng trợ cấp",
            "Con trai tôi bị khuyết tật vận động bẩm sinh, đã được xác định mức độ khuyết tật đặc biệt nặng từ "
            "năm ngoái, nhưng đến nay vẫn chưa được hưởng trợ cấp và chưa có thẻ bảo hiểm y tế. Kính đề nghị "
            "xem xét giải quyết sớm cho cháu.",
            "Hồ sơ của cháu bị thất lạc trong quá trình bàn giao khi sắp xếp đơn vị hành chính. Chúng tôi đã "
            "lập lại hồ sơ, trình phê duyệt trợ cấp từ tháng xác định mức độ khuyết tật và sẽ truy lĩnh đầy "
            "đủ; thẻ bảo hiểm y tế đã được cấp cho cháu.",
        ),
        T(
            "Chậm chi trả trợ cấp thất nghiệp",
            "Tôi bị công ty chấm dứt hợp đồng lao động, đã nộp hồ sơ hưởng trợ cấp thất nghiệp đúng hạn và có "
            "quyết định hưởng, nhưng đã quá hạn chi trả tháng thứ hai mà chưa nhận được tiền. Đề nghị kiểm tra "
            "và chi trả cho tôi theo quy định.",
            "Cơ quan bảo hiểm xã hội cho biết khoản chi tháng thứ hai bị chậm do sai số tài khoản trong hồ sơ. "
            "Thông tin đã được điều chỉnh, khoản trợ cấp đã được chuyển vào tài khoản của ông/bà.",
        ),
        T(
            "Trợ cấp thương binh chưa được điều chỉnh theo mức mới",
            "Bố tôi là thương binh hạng 3/4. Từ đầu năm, mức trợ cấp đã tăng theo quy định mới nhưng gia đình "
            "vẫn nhận theo mức cũ. Đề nghị rà soát hồ sơ và truy lĩnh phần chênh lệch cho bố tôi.",
            "Qua rà soát, hồ sơ của cụ chưa được áp mức trợ cấp mới do sai sót khi nhập dữ liệu. Sai sót đã "
            "được khắc phục; phần chênh lệch từ đầu năm sẽ được truy lĩnh cùng kỳ chi trả tháng tới.",
        ),
        T(
            "Đề nghị hỗ trợ khẩn cấp cho gia đình bị cháy nhà",
            "Đêm qua nhà một cặp vợ chồng già ở {lane} bị cháy, toàn bộ đồ đạc, giấy tờ bị thiêu rụi. Hai ông "
            "bà đã ngoài 70 tuổi, không có con cháu ở gần, hiện hàng xóm đang cưu mang tạm. Đề nghị chính quyền "
            "sớm hỗ trợ khẩn cấp về chỗ ở và lương thực cho ông bà.",
            "Phường đã phối hợp với Hội Chữ thập đỏ và tổ dân phố trao hỗ trợ khẩn cấp bằng tiền mặt, lương "
            "thực, bố trí chỗ ở tạm cho hai ông bà. Công an phường đang hướng dẫn làm lại giấy tờ tùy thân; hồ "
            "sơ hỗ trợ sửa chữa nhà đã được lập theo quy định.",
        ),
        T(
            "Cụ già sống một mình cần được trợ giúp",
            "Một cụ bà sống một mình ở số {no} {street}, không có người thân, sức khỏe yếu, nhiều hôm hàng xóm "
            "phải mang cơm sang. Cụ chưa được hưởng chế độ nào. Đề nghị khảo sát, lập hồ sơ trợ cấp hoặc đưa "
            "cụ vào cơ sở bảo trợ xã hội nếu cụ đồng ý.",
            "Cán bộ phụ trách đã đến thăm và lập hồ sơ trợ cấp xã hội hằng tháng cho cụ theo diện người cao "
            "tuổi cô đơn. Cụ có nguyện vọng ở lại nhà; tổ dân phố và hội phụ nữ sẽ phân công người thăm hỏi "
            "hằng ngày.",
        ),
        T(
            "Hai cháu nhỏ có nguy cơ bỏ học",
            "Hai cháu nhỏ ở {lane} mồ côi mẹ, bố đi làm ăn xa, hiện ở với bà nội đã già yếu. Các cháu có nguy "
            "cơ bỏ học vì gia đình không đủ tiền ăn bán trú và mua sách vở. Đề nghị xem xét hỗ trợ theo chính "
            "sách dành cho trẻ em có hoàn cảnh đặc biệt.",
            "Hai cháu đã được lập hồ sơ hưởng chính sách trẻ em có hoàn cảnh đặc biệt. Nhà trường miễn tiền ăn "
            "bán trú, Hội Khuyến học phường trao học bổng và đồ dùng học tập cho các cháu.",
        ),
        T(
            "Thẻ bảo hiểm y tế của người cao tuổi bị in sai",
            "Thẻ bảo hiểm y tế của bố tôi (diện người từ đủ 80 tuổi) bị in sai năm sinh nên khi đi khám, bệnh "
            "viện không chấp nhận. Gia đình đã báo cán bộ phường từ tháng trước nhưng chưa được cấp lại. Đề "
            "nghị điều chỉnh thông tin và cấp lại thẻ sớm.",
            "Thông tin năm sinh của cụ đã được điều chỉnh trên cơ sở dữ liệu bảo hiểm; thẻ mới đã được cấp. Cụ "
            "cũng có thể dùng ứng dụng VssID hoặc thẻ căn cước để khám chữa bệnh trong khi chờ nhận thẻ giấy.",
        ),
    ),
    "health": (
        T(
            "Cơ sở bán đồ ăn không bảo đảm vệ sinh",
            "Cửa hàng bán đồ ăn sẵn ở số {no} {street} chế biến ngay trên vỉa hè, thực phẩm để không che đậy, "
            "nước rửa bát đổ thẳng ra rãnh. Tuần trước có mấy người trong khu phố bị đau bụng sau khi ăn ở đây. "
            "Đề nghị kiểm tra an toàn thực phẩm.",
            "Đoàn kiểm tra an toàn thực phẩm đã lấy mẫu, xử phạt cơ sở về vi phạm điều kiện vệ sinh và yêu cầu "
            "tạm dừng kinh doanh cho đến khi khắc phục. Kết quả xét nghiệm mẫu sẽ được thông báo khi có.",
        ),
        T(
            "Phòng khám tư có dấu hiệu hoạt động không phép",
            "Ở {lane} có một phòng khám tư quảng cáo chữa nhiều bệnh, truyền dịch tại nhà nhưng không treo giấy "
            "phép hoạt động và chứng chỉ hành nghề. Nhiều người già trong khu vực đến khám và mua thuốc với giá "
            "rất cao. Đề nghị thanh tra y tế kiểm tra.",
            "Thanh tra Sở Y tế đã kiểm tra, xác định cơ sở hoạt động không có giấy phép, đã xử phạt và yêu cầu "
            "chấm dứt khám chữa bệnh. Người dân nên khám chữa bệnh tại các cơ sở có giấy phép, được công khai "
            "trên trang thông tin của ngành y tế.",
        ),
        T(
            "Nhiều ca sốt xuất huyết trong khu dân cư",
            "Trong tổ dân phố chúng tôi ở {street}, hai tuần qua đã có ít nhất năm người mắc sốt xuất huyết. "
            "Khu vực có nhiều vật dụng chứa nước đọng và bãi đất trống cỏ mọc um tùm. Đề nghị phun thuốc diệt "
            "muỗi và tổ chức diệt bọ gậy.",
            "Trạm y tế đã phối hợp với Trung tâm Kiểm soát bệnh tật phun hóa chất diệt muỗi trong bán kính "
            "200 m quanh các ca bệnh, ra quân diệt bọ gậy và phát quang bãi đất trống. Đề nghị người dân úp "
            "ngược dụng cụ chứa nước và đi khám sớm khi có dấu hiệu sốt.",
        ),
        T(
            "Trạm y tế thiếu vắc xin tiêm chủng",
            "Tôi đưa con đến trạm y tế {commune} tiêm chủng theo lịch nhưng được báo hết vắc xin, hẹn lại "
            "nhiều lần vẫn chưa có. Thuốc điều trị tăng huyết áp cấp cho người cao tuổi cũng thường xuyên "
            "thiếu. Đề nghị có kế hoạch cung ứng ổn định.",
            "Vắc xin trong chương trình tiêm chủng mở rộng đã được cấp bổ sung; trạm y tế sẽ nhắn tin hẹn lịch "
            "tiêm cho các gia đình bị lỡ lịch. Thuốc điều trị tăng huyết áp đã có đủ cho quý này.",
        ),
        T(
            "Thái độ tiếp đón người bệnh chưa đúng mực",
            "Sáng thứ Hai vừa rồi mẹ tôi đến khám tại trạm y tế {commune}, nhân viên tiếp đón nói năng cộc cằn, "
            "để người bệnh cao tuổi chờ hơn hai tiếng mà không giải thích. Đề nghị lãnh đạo trạm y tế chấn "
            "chỉnh thái độ phục vụ người bệnh.",
            "Lãnh đạo trạm y tế đã tiếp thu phản ánh, tổ chức kiểm điểm nhân viên liên quan và bố trí thêm "
            "người tiếp đón vào các buổi sáng đông người bệnh. Chúng tôi xin lỗi gia đình về sự việc.",
        ),
        T(
            "Nhà thuốc bán thuốc kê đơn không cần đơn",
            "Một số nhà thuốc trên {street} bán kháng sinh, thuốc ngủ cho khách mà không yêu cầu đơn của bác "
            "sĩ, kể cả bán cho học sinh. Việc này rất nguy hiểm cho sức khỏe cộng đồng. Đề nghị cơ quan y tế "
            "kiểm tra và xử lý.",
            "Đoàn kiểm tra đã kiểm tra các nhà thuốc trên tuyến phố, xử phạt hai cơ sở bán thuốc kê đơn không "
            "có đơn và nhắc nhở các cơ sở còn lại. Việc kiểm tra sẽ được thực hiện định kỳ, không báo trước.",
        ),
        T(
            "Chất thải y tế bị vứt chung với rác sinh hoạt",
            "Tôi phát hiện bơm kim tiêm, bông băng dính máu bị vứt lẫn trong thùng rác sinh hoạt cạnh một "
            "phòng khám nha khoa ở {lane}. Trẻ con trong khu phố hay chơi gần đó. Đề nghị kiểm tra việc phân "
            "loại và xử lý chất thải y tế của cơ sở này.",
            "Cơ sở nha khoa đã bị xử phạt về vi phạm quản lý chất thải y tế và phải ký hợp đồng thu gom với "
            "đơn vị có chức năng. Khu vực thùng rác đã được khử khuẩn.",
        ),
        T(
            "Đề nghị khám sức khỏe định kỳ cho người cao tuổi",
            "Khu dân cư ở {street} có nhiều người cao tuổi mắc bệnh mãn tính nhưng đi lại khó khăn. Chúng tôi "
            "đề nghị trạm y tế tổ chức khám sàng lọc, đo huyết áp, đường huyết định kỳ tại nhà văn hóa tổ dân "
            "phố, ít nhất mỗi quý một lần.",
            "Trạm y tế đã đưa khu dân cư vào kế hoạch khám sàng lọc lưu động; buổi khám đầu tiên sẽ được tổ "
            "chức tại nhà văn hóa tổ dân phố vào sáng Chủ nhật cuối tháng. Tổ dân phố sẽ thông báo lịch cụ thể "
            "tới các hộ.",
        ),
        T(
            "Nghi ngộ độc thực phẩm tại bếp ăn công nhân",
            "Sau bữa trưa tại bếp ăn của một công ty trên {street}, hơn 20 công nhân bị nôn, đau bụng, phải "
            "đưa đi cấp cứu. Công ty chưa có thông tin chính thức cho người lao động. Đề nghị cơ quan chức năng "
            "điều tra nguyên nhân và kiểm tra bếp ăn.",
            "Cơ quan y tế đã điều tra vụ việc, lấy mẫu thức ăn lưu; nguyên nhân được xác định do món ăn nhiễm "
            "vi sinh vật. Bếp ăn bị đình chỉ hoạt động, đơn vị cung cấp suất ăn bị xử phạt; các công nhân đều "
            "đã ổn định sức khỏe.",
        ),
    ),
    "education": (
        T(
            "Lạm thu đầu năm học",
            "Đầu năm học, lớp con tôi ở trường tiểu học trên {street} thu nhiều khoản ngoài quy định như quỹ "
            "lớp, tiền mua máy chiếu, tiền trang trí lớp, tổng cộng gần hai triệu đồng mỗi học sinh. Phụ huynh "
            "không được họp bàn mà chỉ nhận thông báo. Đề nghị kiểm tra các khoản thu này.",
            "Cơ quan quản lý giáo dục đã làm việc với nhà trường; các khoản thu ngoài quy định đã bị dừng, "
            "khoản đã thu sẽ được hoàn trả cho phụ huynh trong tuần tới. Nhà trường đã được nhắc nhở phải lấy ý "
            "kiến phụ huynh trước khi vận động tài trợ.",
        ),
        T(
            "Giáo viên dạy thêm học sinh lớp mình chủ nhiệm",
            "Giáo viên chủ nhiệm lớp 7 của con tôi tổ chức dạy thêm tại nhà cho chính học sinh lớp mình; em "
            "nào không đi học thêm thì bị gây khó dễ trên lớp. Nhiều phụ huynh bức xúc nhưng ngại lên tiếng. Đề "
            "nghị làm rõ và xử lý theo quy định về dạy thêm, học thêm.",
            "Nhà trường đã xác minh, yêu cầu giáo viên chấm dứt dạy thêm đối với học sinh lớp mình chủ nhiệm "
            "và tổ chức kiểm điểm theo quy định. Nhà trường cam kết không để học sinh bị phân biệt đối xử; phụ "
            "huynh có thể phản ánh trực tiếp với hiệu trưởng nếu còn tái diễn.",
        ),
        T(
            "Con tôi không được nhận vào lớp 1 đúng tuyến",
            "Gia đình tôi thường trú tại {commune} nhưng con tôi không được nhận vào lớp 1 trường đúng tuyến với "
            "lý do đã đủ chỉ tiêu, trong khi một số trường hợp trái tuyến vẫn được nhận. Đề nghị công khai danh "
            "sách tuyển sinh và xem xét cho con tôi nhập học.",
            "Qua rà soát, con ông/bà đủ điều kiện học đúng tuyến; nhà trường đã bổ sung cháu vào danh sách "
            "tuyển sinh lớp 1. Danh sách tuyển sinh đã được niêm yết công khai tại trường.",
        ),
        T(
            "Phòng học trường mầm non thấm dột, bong vữa",
            "Phòng học tầng 2 của trường mầm non trên {street} bị thấm dột, trần bong vữa, quạt trần rung lắc "
            "mạnh. Mùa mưa các cháu phải ngồi dồn sang một góc lớp. Đề nghị kiểm tra, sửa chữa để bảo đảm an "
            "toàn cho trẻ.",
            "Nhà trường đã tạm chuyển lớp học sang phòng khác, thay quạt trần và chống thấm mái. Hạng mục sửa "
            "trần được bố trí kinh phí sửa chữa trong dịp nghỉ hè.",
        ),
        T(
            "Nhóm trông trẻ tư thục hoạt động không phép",
            "Ở {lane} có một nhóm trông trẻ tư thục nhận khoảng 20 cháu nhưng chỉ có hai người trông, phòng "
            "chật, không có giấy phép. Có phụ huynh phản ánh con bị bầm tím khi đón về. Đề nghị kiểm tra điều "
            "kiện hoạt động của cơ sở.",
            "Đoàn kiểm tra liên ngành xác định cơ sở chưa được cấp phép và không bảo đảm điều kiện chăm sóc "
            "trẻ; cơ sở đã bị xử phạt và đình chỉ hoạt động. Phụ huynh được hướng dẫn chuyển trẻ sang các "
            "trường mầm non trên địa bàn.",
        ),
        T(
            "Bữa ăn bán trú không tương xứng với tiền đóng",
            "Nhiều phụ huynh phản ánh bữa ăn bán trú ở trường trên {street} rất ít thức ăn, chất lượng kém so "
            "với mức 35.000 đồng mỗi suất. Nhà trường chưa công khai thực đơn và nhà cung cấp. Đề nghị kiểm tra "
            "và công khai thông tin bếp ăn.",
            "Nhà trường đã họp với ban đại diện cha mẹ học sinh, công khai thực đơn, đơn giá và hợp đồng với "
            "đơn vị cung cấp suất ăn. Từ tuần tới, đại diện phụ huynh sẽ luân phiên tham gia giám sát bếp ăn.",
        ),
        T(
            "Con tôi bị bạn cùng lớp bắt nạt",
            "Con tôi học lớp 8, nhiều lần bị một nhóm bạn cùng lớp bắt nạt, đánh và quay video đăng lên mạng. "
            "Gia đình đã báo giáo viên chủ nhiệm nhưng nhà trường chỉ nhắc nhở chung. Đề nghị nhà trường và cơ "
            "quan quản lý giáo dục có biện pháp xử lý, bảo vệ học sinh.",
            "Nhà trường đã làm việc với gia đình các học sinh liên quan, xử lý kỷ luật theo quy định và yêu cầu "
            "gỡ video. Giáo viên tư vấn tâm lý sẽ theo dõi, hỗ trợ cháu; nhà trường cũng tổ chức chuyên đề "
            "phòng, chống bạo lực học đường cho toàn khối.",
        ),
        T(
            "Chưa được hoàn tiền học phí dù thuộc diện miễn",
            "Con tôi thuộc diện được miễn học phí nhưng nhà trường vẫn yêu cầu nộp đủ, hẹn khi có kinh phí sẽ "
            "hoàn lại. Đã hết học kỳ I mà gia đình chưa nhận được khoản nào. Đề nghị kiểm tra việc thực hiện "
            "chính sách miễn, giảm học phí.",
            "Kinh phí thực hiện chính sách miễn học phí đã được cấp cho nhà trường; khoản học phí đã thu của "
            "học kỳ I sẽ được hoàn trả trực tiếp cho phụ huynh trước ngày 15 tháng tới.",
        ),
        T(
            "Trường thiếu giáo viên tiếng Anh và tin học",
            "Từ đầu năm học, trường tiểu học trên {street} thiếu giáo viên tiếng Anh và tin học, nhiều tiết học "
            "sinh phải tự học hoặc ghép lớp. Đề nghị cơ quan quản lý giáo dục sớm bố trí giáo viên.",
            "Cơ quan quản lý giáo dục đã điều động một giáo viên tiếng Anh về trường và cho phép trường hợp "
            "đồng thêm giáo viên tin học. Các tiết học bị thiếu sẽ được dạy bù trong học kỳ.",
        ),
    ),
    "public-order": (
        T(
            "Quán karaoke hát to đến khuya",
            "Quán karaoke ở số {no} {street} hát to đến 1–2 giờ sáng, hầu như đêm nào cũng vậy. Người già, trẻ "
            "nhỏ trong khu vực mất ngủ thường xuyên. Chúng tôi đã gọi đường dây nóng nhưng chỉ được vài hôm lại "
            "đâu vào đấy. Đề nghị kiểm tra và xử lý dứt điểm.",
            "Công an phường đã kiểm tra, lập biên bản và xử phạt cơ sở karaoke về hành vi gây tiếng ồn vượt "
            "quy chuẩn sau 22 giờ. Cơ sở đã cam kết không hoạt động sau 22 giờ; công an phường sẽ tiếp tục kiểm "
            "tra đột xuất.",
        ),
        T(
            "Nhóm thanh niên tụ tập đua xe ban đêm",
            "Tối thứ Bảy và Chủ nhật, một nhóm thanh niên thường tụ tập ở {street}, rú ga, lạng lách, đánh võng "
            "từ khoảng 23 giờ đến gần sáng. Người dân rất bức xúc và lo ngại cho an toàn. Đề nghị công an tăng "
            "cường tuần tra, xử lý.",
            "Công an phường đã phối hợp với cảnh sát giao thông lập chốt kiểm soát vào tối cuối tuần, tạm giữ "
            "phương tiện của nhiều trường hợp vi phạm và thông báo về nơi cư trú. Lực lượng chức năng tiếp tục "
            "tuần tra trên tuyến.",
        ),
        T(
            "Mất trộm xe máy nhiều lần trong khu phố",
            "Chỉ trong tháng này, ở {lane} đã có ba vụ mất trộm xe máy dựng trước cửa nhà; camera của một gia "
            "đình có ghi lại hình ảnh đối tượng. Đề nghị công an phường điều tra và tăng cường tuần tra vào ban "
            "đêm.",
            "Công an phường đã tiếp nhận hình ảnh camera, xác định được đối tượng và đang hoàn thiện hồ sơ xử "
            "lý. Lực lượng công an tăng cường tuần tra ban đêm, đồng thời đề nghị các hộ gia đình khóa xe cẩn "
            "thận và lắp thêm camera.",
        ),
        T(
            "Lấn chiếm vỉa hè để kinh doanh",
            "Các hộ kinh doanh trên {street} bày hàng, kê bàn ghế chiếm hết vỉa hè, người đi bộ phải đi xuống "
            "lòng đường. Tình trạng kéo dài nhiều tháng, chỉ khi có đoàn kiểm tra mới dọn dẹp. Đề nghị xử lý "
            "dứt điểm và duy trì thường xuyên.",
            "Lực lượng trật tự đô thị đã ra quân giải tỏa vỉa hè trên {street}, xử phạt các hộ tái phạm và yêu "
            "cầu ký cam kết. Phường sẽ duy trì kiểm tra thường xuyên, kể cả buổi tối và cuối tuần.",
        ),
        T(
            "Tờ rơi cho vay nặng lãi, đòi nợ kiểu khủng bố",
            "Cột điện, tường nhà ở {lane} bị dán đầy tờ rơi cho vay tiền nhanh, lãi suất cao. Một số hộ đã bị "
            "nhóm đòi nợ đến ném chất bẩn vào nhà. Đề nghị công an vào cuộc điều tra, xử lý hoạt động tín dụng "
            "đen.",
            "Công an đã xác minh các số điện thoại trên tờ rơi, triệu tập một số đối tượng liên quan và đang "
            "củng cố hồ sơ xử lý theo quy định. Tổ dân phố đã bóc dỡ toàn bộ tờ rơi; người dân cần cảnh giác, "
            "không vay tiền qua các quảng cáo này.",
        ),
        T(
            "Chó thả rông, không rọ mõm",
            "Nhiều hộ ở {street} thả chó ra đường không rọ mõm, không có người dắt. Tuần trước một cháu bé 5 "
            "tuổi bị chó cắn phải đi tiêm phòng dại. Đề nghị kiểm tra, xử phạt và tuyên truyền nuôi chó đúng "
            "quy định.",
            "Phường đã rà soát, lập danh sách các hộ nuôi chó, xử phạt các trường hợp thả rông và tổ chức tiêm "
            "phòng dại miễn phí. Tổ kiểm tra sẽ bắt giữ chó thả rông trên các tuyến phố theo quy định.",
        ),
        T(
            "Nhà trọ không khai báo tạm trú, thường xuyên ẩu đả",
            "Một nhà trọ ở {lane} có rất nhiều người ra vào thất thường, thường xuyên cãi vã, đánh nhau vào ban "
            "đêm. Chúng tôi nghi ngờ chủ nhà không khai báo tạm trú cho người thuê. Đề nghị công an phường kiểm "
            "tra.",
            "Công an phường đã kiểm tra hành chính nhà trọ, xử phạt chủ nhà do không thực hiện khai báo tạm trú "
            "cho người thuê và yêu cầu khai báo đầy đủ. Khu vực này được đưa vào địa bàn kiểm tra thường xuyên.",
        ),
        T(
            "Cửa hàng gas không bảo đảm phòng cháy",
            "Cửa hàng kinh doanh gas ở số {no} {street} để hàng chục bình gas sát vỉa hè, ngay giữa khu dân cư "
            "đông đúc, không có bình chữa cháy. Đề nghị kiểm tra điều kiện phòng cháy, chữa cháy của cơ sở "
            "này.",
            "Cơ sở kinh doanh gas đã được kiểm tra về phòng cháy, chữa cháy và bị xử phạt do không bảo đảm điều "
            "kiện an toàn, không trang bị phương tiện chữa cháy. Cơ sở đã chuyển các bình gas vào kho đạt chuẩn "
            "và trang bị bình chữa cháy.",
        ),
        T(
            "Người bán hàng rong đeo bám, chèo kéo du khách",
            "Ở khu vực {street} thường xuyên có người bán hàng rong đeo bám, chèo kéo, ép giá du khách nước "
            "ngoài, gây ảnh hưởng đến hình ảnh của địa phương. Đề nghị lực lượng trật tự đô thị tăng cường kiểm "
            "tra, chấn chỉnh.",
            "Phường đã bố trí tổ công tác thường trực tại khu vực vào giờ cao điểm, nhắc nhở và xử lý các trường "
            "hợp chèo kéo khách, đồng thời lắp biển đường dây nóng bằng tiếng Việt và tiếng Anh.",
        ),
    ),
    "misconduct": (
        T(
            "Cán bộ địa chính đòi tiền ngoài quy định",
            "Khi tôi làm thủ tục tách thửa đất tại {commune}, một cán bộ địa chính yêu cầu nộp thêm 15 triệu "
            "đồng gọi là “chi phí bồi dưỡng” để hồ sơ được giải quyết nhanh, nếu không sẽ kéo dài. Tôi có ghi âm "
            "cuộc nói chuyện. Đề nghị cơ quan có thẩm quyền xác minh, xử lý.",
            "Cơ quan thanh tra đã xác minh nội dung phản ánh, làm việc với cán bộ liên quan và đối chiếu bản ghi "
            "âm ông/bà cung cấp. Cán bộ này đã bị tạm đình chỉ công tác để xem xét kỷ luật; hồ sơ tách thửa của "
            "ông/bà được giải quyết theo đúng thời hạn quy định.",
        ),
        T(
            "Bình xét hộ nghèo thiếu minh bạch",
            "Danh sách hộ nghèo năm nay của tổ dân phố có cả gia đình người thân của cán bộ phường đang kinh "
            "doanh khá giả, trong khi nhiều hộ thực sự khó khăn lại không có tên. Việc bình xét không tổ chức "
            "họp công khai. Đề nghị thanh tra làm rõ.",
            "Qua xác minh, nội dung phản ánh là đúng một phần: có một hộ không đủ điều kiện nhưng được đưa vào "
            "danh sách. Danh sách đã được rà soát lại, niêm yết công khai; các cá nhân có sai sót trong bình xét "
            "đã bị kiểm điểm.",
        ),
        T(
            "Cán bộ trật tự đô thị thu tiền của hộ kinh doanh",
            "Chúng tôi nhiều lần thấy một số cán bộ trật tự đô thị thu tiền hằng tuần của các hộ lấn chiếm vỉa "
            "hè trên {street}, sau đó các hộ này không bị xử lý. Người dân có quay được video. Đề nghị cơ quan "
            "chức năng xác minh và xử lý nghiêm.",
            "Cơ quan có thẩm quyền đã xác minh video, làm việc với các cán bộ và hộ kinh doanh liên quan. Hai "
            "cán bộ đã bị đình chỉ công tác, hồ sơ được chuyển để xử lý theo quy định; việc quản lý trật tự vỉa "
            "hè trên tuyến được giao cho tổ công tác khác.",
        ),
        T(
            "Dấu hiệu sai phạm ở công trình nhà văn hóa",
            "Công trình cải tạo nhà văn hóa tổ dân phố ở {street} do một công ty của người thân cán bộ phường "
            "thi công, giá trị quyết toán cao bất thường, chất lượng kém, mới nghiệm thu đã bong tróc. Đề nghị "
            "thanh tra công trình và công khai hồ sơ quyết toán.",
            "Thanh tra đã kiểm tra hồ sơ dự toán, quyết toán và chất lượng công trình, phát hiện một số khối "
            "lượng nghiệm thu vượt thực tế. Nhà thầu phải hoàn trả phần chênh lệch và sửa chữa các hạng mục hư "
            "hỏng; kết luận thanh tra được công khai theo quy định.",
        ),
        T(
            "Cán bộ bộ phận một cửa có thái độ hách dịch",
            "Tại bộ phận một cửa {commune}, một cán bộ nhiều lần trả hồ sơ của tôi mà không hướng dẫn cụ thể "
            "phải bổ sung gì, nói năng thiếu tôn trọng. Tôi đã đi lại năm lần trong một tháng. Đề nghị chấn "
            "chỉnh tác phong, thái độ của cán bộ.",
            "Qua xác minh hình ảnh camera và làm việc với cán bộ liên quan, nội dung phản ánh là đúng. Cán bộ đã "
            "bị kiểm điểm, điều chuyển khỏi vị trí tiếp nhận hồ sơ; hồ sơ của ông/bà đã được hướng dẫn và giải "
            "quyết.",
        ),
        T(
            "Sử dụng xe công vào việc riêng",
            "Nhiều buổi tối và ngày cuối tuần, xe ô tô biển xanh của cơ quan được dùng để đưa đón người nhà một "
            "lãnh đạo đi học, đi chợ. Người dân đã chụp ảnh biển số và ghi lại thời gian cụ thể. Đề nghị kiểm "
            "tra việc quản lý, sử dụng xe công.",
            "Cơ quan kiểm tra đã đối chiếu nhật ký sử dụng xe với hình ảnh người dân cung cấp, xác định có việc "
            "sử dụng xe công không đúng mục đích. Cá nhân liên quan phải bồi hoàn chi phí và bị xem xét xử lý "
            "kỷ luật; quy chế quản lý xe công đã được chấn chỉnh.",
        ),
        T(
            "Tổ trưởng thu lại tiền hỗ trợ sau mưa bão",
            "Sau đợt mưa bão, một số hộ trong tổ dân phố được nhận tiền hỗ trợ nhưng tổ trưởng yêu cầu mỗi hộ "
            "nộp lại một phần “để chia cho hộ khác”. Việc này không có văn bản hay danh sách nào. Đề nghị làm "
            "rõ và trả lại đủ tiền cho người dân.",
            "Đoàn kiểm tra đã làm việc với các hộ dân và tổ trưởng tổ dân phố; toàn bộ số tiền thu lại đã được "
            "hoàn trả cho các hộ. Tổ trưởng đã bị miễn nhiệm theo đề nghị của hội nghị tổ dân phố.",
        ),
        T(
            "Nghi bao che công trình xây dựng sai phép",
            "Công trình ở số {no} {street} đã bị lập biên bản vi phạm nhiều lần nhưng vẫn thi công đến tầng 7, "
            "vượt giấy phép hai tầng. Người dân nghi có sự bao che của cán bộ quản lý trật tự xây dựng. Đề nghị "
            "cấp trên vào cuộc thanh tra.",
            "Thanh tra xây dựng đã vào cuộc, ra quyết định cưỡng chế tháo dỡ hai tầng vượt phép. Trách nhiệm "
            "của cán bộ quản lý địa bàn đang được xem xét; kết quả xử lý sẽ được thông báo tới ông/bà bằng văn "
            "bản.",
        ),
        T(
            "Giả mạo chữ ký trong hồ sơ chuyển nhượng đất",
            "Tôi phát hiện hồ sơ chuyển nhượng một phần thửa đất của gia đình có chữ ký giả mạo của mẹ tôi, đã "
            "được chứng thực tại {commune} dù mẹ tôi không hề đến ký. Đề nghị xác minh trách nhiệm của cán bộ "
            "chứng thực và hủy bỏ giao dịch.",
            "Cơ quan có thẩm quyền đã tạm dừng việc đăng ký biến động thửa đất, chuyển hồ sơ sang cơ quan công "
            "an để giám định chữ ký. Cán bộ chứng thực đã tạm dừng thực hiện nhiệm vụ chứng thực trong thời gian "
            "xác minh.",
        ),
    ),
    "admin-procedures": (
        T(
            "Chậm cấp căn cước cho trẻ em",
            "Tôi làm thủ tục cấp căn cước cho con 10 tuổi tại công an phường đã hơn 40 ngày, quá thời hạn trả "
            "kết quả nhưng vẫn chưa có. Mỗi lần hỏi đều được hẹn thêm. Đề nghị kiểm tra và thông báo thời gian "
            "cụ thể.",
            "Thẻ căn cước của cháu chậm do ảnh chân dung không đạt chuẩn, phải thu nhận lại. Thẻ đã được sản "
            "xuất và chuyển về công an phường; gia đình đưa cháu đến nhận trong giờ hành chính.",
        ),
        T(
            "Lỗi hệ thống khi nộp hồ sơ khai sinh trực tuyến",
            "Tôi nộp hồ sơ đăng ký khai sinh trực tuyến cho con nhưng hệ thống báo lỗi ở bước thanh toán, thử "
            "nhiều lần trong ba ngày vẫn không được. Đề nghị khắc phục lỗi và hướng dẫn cách nộp thay thế.",
            "Lỗi thanh toán đã được đơn vị vận hành hệ thống khắc phục. Hồ sơ khai sinh của cháu đã được cán bộ "
            "tư pháp hỗ trợ tiếp nhận; đăng ký khai sinh đúng hạn được miễn lệ phí nên ông/bà không cần thanh "
            "toán.",
        ),
        T(
            "Yêu cầu nộp giấy tờ ngoài quy định khi đăng ký kết hôn",
            "Khi làm thủ tục đăng ký kết hôn, cán bộ tư pháp yêu cầu tôi nộp thêm giấy xác nhận của tổ dân phố, "
            "trong khi quy định không có giấy này. Đề nghị thực hiện đúng thành phần hồ sơ đã niêm yết công "
            "khai.",
            "Việc yêu cầu giấy xác nhận của tổ dân phố là không đúng quy định. Chúng tôi đã chấn chỉnh cán bộ "
            "tư pháp và niêm yết lại thành phần hồ sơ; ông/bà đã được giải quyết đăng ký kết hôn.",
        ),
        T(
            "Chờ đợi quá lâu tại bộ phận một cửa",
            "Sáng thứ Hai tôi đến bộ phận một cửa {commune} từ 7 giờ 30 để chứng thực bản sao giấy tờ, đến 11 "
            "giờ vẫn chưa đến lượt vì chỉ có một cán bộ tiếp nhận. Đề nghị bố trí thêm người hoặc cho đặt lịch "
            "hẹn trước qua mạng.",
            "Từ tuần tới, bộ phận một cửa bố trí thêm một quầy chứng thực vào sáng thứ Hai và thứ Sáu, đồng "
            "thời triển khai đặt lịch hẹn trực tuyến để giảm thời gian chờ.",
        ),
        T(
            "Chậm cấp giấy chứng nhận đăng ký hộ kinh doanh",
            "Tôi nộp hồ sơ đăng ký hộ kinh doanh quán cà phê ở số {no} {street}, đã quá 3 ngày làm việc theo "
            "quy định nhưng chưa nhận được giấy chứng nhận, cũng không có thông báo bổ sung hồ sơ. Đề nghị kiểm "
            "tra tình trạng hồ sơ.",
            "Hồ sơ của ông/bà bị chậm do ngành nghề kê khai chưa đúng mã ngành. Cán bộ đã liên hệ hướng dẫn "
            "điều chỉnh và cấp giấy chứng nhận đăng ký hộ kinh doanh ngay trong ngày.",
        ),
        T(
            "Hướng dẫn thủ tục sau sắp xếp đơn vị hành chính chưa rõ",
            "Sau khi sắp xếp đơn vị hành chính, người dân chưa rõ phải đến đâu làm thủ tục đất đai, hộ tịch; "
            "nhiều giấy tờ vẫn ghi địa chỉ cũ. Đề nghị niêm yết hướng dẫn cụ thể và hỗ trợ người dân cập nhật "
            "địa chỉ mới trên giấy tờ.",
            "Phường đã niêm yết danh mục thủ tục và địa điểm tiếp nhận tại trụ sở, nhà văn hóa các tổ dân phố và "
            "trên trang thông tin điện tử. Giấy tờ đã cấp ghi địa chỉ cũ vẫn còn giá trị sử dụng, người dân "
            "không bắt buộc phải làm lại.",
        ),
        T(
            "Không xin được xác nhận thông tin cư trú",
            "Tôi đã đăng ký thường trú ở {lane} từ năm ngoái, nhưng khi xin xác nhận thông tin cư trú để bổ sung "
            "hồ sơ xin việc thì bị từ chối với lý do dữ liệu chưa đồng bộ. Đề nghị kiểm tra và cập nhật dữ liệu "
            "dân cư cho tôi.",
            "Công an phường đã rà soát, cập nhật thông tin thường trú của ông/bà trên cơ sở dữ liệu quốc gia về "
            "dân cư. Ông/bà có thể xem và in xác nhận thông tin cư trú trên ứng dụng VNeID.",
        ),
        T(
            "Hồ sơ bị thất lạc tại bộ phận tiếp nhận",
            "Tháng trước tôi nộp hồ sơ xin phép sửa chữa nhà ở, có giấy biên nhận. Nay đến hỏi thì cán bộ không "
            "tìm thấy hồ sơ, yêu cầu tôi nộp lại từ đầu. Đề nghị làm rõ trách nhiệm và giải quyết hồ sơ cho tôi "
            "theo ngày nộp ban đầu.",
            "Hồ sơ của ông/bà đã được tìm thấy, do bị chuyển nhầm sang bộ phận khác. Hồ sơ được giải quyết tính "
            "theo ngày nộp ban đầu; cán bộ liên quan đã bị nhắc nhở và phường đã gửi thư xin lỗi ông/bà.",
        ),
        T(
            "Thu lệ phí chứng thực không đúng biểu phí",
            "Khi chứng thực hợp đồng tại {commune}, tôi bị thu 200.000 đồng nhưng biên lai chỉ ghi 50.000 đồng. "
            "Đề nghị kiểm tra việc thu lệ phí và hoàn trả phần thu sai.",
            "Qua kiểm tra, việc thu phí có sai phạm. Phần chênh lệch đã được hoàn trả cho ông/bà, cán bộ liên "
            "quan đã bị xử lý kỷ luật; biểu phí, lệ phí được niêm yết công khai tại bộ phận một cửa.",
        ),
    ),
    "other": (
        T(
            "Đề nghị lắp thêm dụng cụ tập thể dục ngoài trời",
            "Vườn hoa ở {street} là nơi nhiều người cao tuổi tập thể dục buổi sáng, nhưng chỉ có vài dụng cụ đã "
            "hỏng. Người dân đề nghị lắp thêm thiết bị tập thể dục ngoài trời và ghế ngồi nghỉ.",
            "Phường đã sửa các dụng cụ bị hỏng và đưa việc lắp thêm thiết bị tập thể dục, ghế đá vào kế hoạch "
            "chỉnh trang vườn hoa quý tới.",
        ),
        T(
            "Loa phát thanh phát quá to từ sáng sớm",
            "Loa phát thanh ở đầu {lane} phát từ 5 giờ 30 sáng với âm lượng rất lớn, nhà tôi ở ngay cạnh cột "
            "loa. Gia đình có người ốm và trẻ nhỏ. Đề nghị điều chỉnh giờ phát, giảm âm lượng hoặc quay hướng "
            "loa.",
            "Giờ phát thanh buổi sáng đã được lùi sang 6 giờ 30; loa đã được giảm âm lượng và quay về phía trục "
            "đường chính.",
        ),
        T(
            "Khu dân cư cần sân chơi cho trẻ em",
            "Khu dân cư ở {street} đông trẻ em nhưng không có sân chơi, các cháu phải chơi dưới lòng đường rất "
            "nguy hiểm. Khu đất trống cạnh nhà văn hóa đang bỏ hoang. Đề nghị xem xét cải tạo thành sân chơi "
            "cho trẻ em.",
            "Phường đã khảo sát khu đất, thống nhất với tổ dân phố cải tạo thành sân chơi cho trẻ em bằng nguồn "
            "xã hội hóa. Dự kiến sân chơi được đưa vào sử dụng trong dịp hè.",
        ),
        T(
            "Biển tên đường sai chính tả, bị cây che khuất",
            "Biển tên đường ở đầu {street} ghi sai chính tả, lại bị cây che khuất, khách du lịch và người giao "
            "hàng thường xuyên đi nhầm. Đề nghị thay biển mới và cắt tỉa cây.",
            "Biển tên đường đã được thay mới đúng chính tả và cây che khuất đã được cắt tỉa. Cảm ơn ông/bà đã "
            "phản ánh.",
        ),
        T(
            "Nhà văn hóa tổ dân phố bị cho thuê làm kho",
            "Nhà văn hóa tổ dân phố ở {lane} bị cho thuê làm kho chứa hàng, người dân muốn họp, sinh hoạt câu "
            "lạc bộ lại không có chỗ. Đề nghị công khai việc sử dụng nhà văn hóa và trả lại cho cộng đồng.",
            "Việc cho thuê nhà văn hóa làm kho là không đúng quy định; hợp đồng đã được chấm dứt, hàng hóa đã "
            "được chuyển đi. Lịch sử dụng nhà văn hóa được công khai tại bảng tin tổ dân phố.",
        ),
        T(
            "Cảm ơn cán bộ phường hỗ trợ kịp thời",
            "Gia đình tôi xin gửi lời cảm ơn tới cán bộ {commune} đã hỗ trợ rất nhiệt tình, kịp thời khi nhà tôi "
            "bị ngập nước trong trận mưa vừa qua. Mong phường tiếp tục duy trì tinh thần phục vụ nhân dân như "
            "vậy.",
            "Cảm ơn ông/bà đã gửi lời động viên. Ý kiến của ông/bà đã được chuyển tới các cán bộ liên quan và "
            "lãnh đạo phường.",
        ),
        T(
            "Góp ý về giờ làm việc của bộ phận một cửa",
            "Nhiều người đi làm giờ hành chính không thể đến bộ phận một cửa. Tôi đề nghị phường xem xét mở cửa "
            "tiếp nhận hồ sơ vào sáng thứ Bảy, hoặc kéo dài giờ làm việc một buổi trong tuần.",
            "Tiếp thu góp ý của người dân, từ tháng tới bộ phận một cửa sẽ làm việc vào sáng thứ Bảy để tiếp "
            "nhận và trả kết quả hồ sơ.",
        ),
        T(
            "Dãy ki-ốt bỏ hoang gây mất mỹ quan",
            "Dãy ki-ốt trên {street} bỏ hoang nhiều năm, mái tôn hoen gỉ, trở thành nơi đổ rác và chỗ ngủ của "
            "người vô gia cư. Đề nghị có phương án tháo dỡ hoặc cho thuê lại để sử dụng hiệu quả.",
            "Dãy ki-ốt đã được tháo dỡ, mặt bằng được dọn sạch để chỉnh trang vỉa hè. Những người vô gia cư đã "
            "được đưa đến cơ sở bảo trợ xã hội.",
        ),
        T(
            "Cây xanh nghiêng, có nguy cơ gãy đổ",
            "Cây xà cừ lớn trước số {no} {street} nghiêng hẳn ra lòng đường, rễ trồi lên làm vỡ vỉa hè. Mùa mưa "
            "bão sắp đến, người dân lo cây đổ gây tai nạn. Đề nghị kiểm tra, cắt tỉa hoặc chặt hạ nếu cần.",
            "Đơn vị quản lý cây xanh đã cắt tỉa tán và chằng chống cây để giảm nguy cơ gãy đổ; cây sẽ được đánh "
            "giá lại trước mùa mưa bão để quyết định có thay thế hay không.",
        ),
    ),
}

#: How often each category comes up.
CATEGORY_WEIGHTS = {
    "environment": 16,
    "transport": 15,
    "land-housing": 14,
    "public-order": 12,
    "admin-procedures": 10,
    "social-welfare": 9,
    "health": 7,
    "education": 7,
    "other": 6,
    "misconduct": 4,
}

#: Agencies a case may be referred to. ``{province}`` is "thành phố Hà Nội" or "tỉnh Thanh Hóa",
#: ``{commune}`` is "phường Hoàn Kiếm". Names as they stand after the 2025 reorganisation
#: (Sở Nông nghiệp và Môi trường took over Sở Tài nguyên và Môi trường).
AGENCIES: dict[str, tuple[str, ...]] = {
    "land-housing": (
        "Sở Nông nghiệp và Môi trường {province}",
        "Văn phòng Đăng ký đất đai {province}",
        "Sở Xây dựng {province}",
    ),
    "environment": (
        "Sở Nông nghiệp và Môi trường {province}",
        "Sở Xây dựng {province}",
        "Trung tâm Quan trắc tài nguyên và môi trường {province}",
    ),
    "transport": ("Sở Xây dựng {province}", "Phòng Cảnh sát giao thông, Công an {province}"),
    "social-welfare": ("Sở Nội vụ {province}", "Sở Y tế {province}", "Bảo hiểm xã hội {province}"),
    "health": (
        "Sở Y tế {province}",
        "Trung tâm Kiểm soát bệnh tật {province}",
        "Chi cục An toàn vệ sinh thực phẩm {province}",
    ),
    "education": ("Sở Giáo dục và Đào tạo {province}",),
    "public-order": (
        "Công an {commune}",
        "Phòng Cảnh sát phòng cháy, chữa cháy và cứu nạn, cứu hộ, Công an {province}",
    ),
    "misconduct": ("Thanh tra {province}", "Sở Nội vụ {province}", "Công an {province}"),
    "admin-procedures": (
        "Công an {commune}",
        "Sở Tư pháp {province}",
        "Trung tâm Phục vụ hành chính công {province}",
    ),
    "other": ("Ủy ban nhân dân {commune}", "Sở Văn hóa và Thể thao {province}"),
}

REFER_NOTES = (
    "Đề nghị {agency} cung cấp thông tin và phối hợp kiểm tra.",
    "Chuyển {agency} xem xét theo thẩm quyền, đề nghị phúc đáp trước hạn.",
    "Cần ý kiến chuyên môn của {agency} trước khi trả lời người dân.",
    "",
)
AGENCY_REPLIES = (
    "{agency} đã có văn bản phúc đáp, xác nhận nội dung phản ánh và cung cấp kết quả kiểm tra.",
    "{agency} trả lời: đã kiểm tra hiện trường, sẽ xử lý theo thẩm quyền trong tháng này.",
    "{agency} cho biết vụ việc thuộc thẩm quyền xử lý của địa phương, đề nghị phường chủ trì.",
    "{agency} đã cử cán bộ phối hợp kiểm tra; biên bản làm việc đã lưu vào hồ sơ.",
)
REJECTION_REASONS = (
    "Nội dung là tranh chấp dân sự giữa các cá nhân, thuộc thẩm quyền giải quyết của Tòa án. Đề nghị "
    "ông/bà gửi đơn khởi kiện đến Tòa án nhân dân khu vực.",
    "Phản ánh chưa nêu địa điểm, thời gian cụ thể nên không đủ cơ sở xác minh. Đề nghị ông/bà bổ sung "
    "thông tin, hình ảnh (nếu có) và gửi lại.",
    "Nội dung đã được trả lời bằng văn bản trước đây và không có tình tiết mới nên không thụ lý lại.",
    "Vụ việc đang được Tòa án thụ lý giải quyết, không thuộc phạm vi tiếp nhận phản ánh, kiến nghị.",
    "Phản ánh có ngôn từ xúc phạm, không phù hợp với quy chế tiếp nhận phản ánh, kiến nghị.",
    "Đây là đề nghị tư vấn pháp luật chung, không phải phản ánh cụ thể. Ông/bà có thể liên hệ Trung tâm "
    "Trợ giúp pháp lý nhà nước để được hướng dẫn miễn phí.",
    "Sự việc xảy ra ngoài địa bàn. Đề nghị ông/bà chọn đúng địa bàn nơi xảy ra sự việc khi gửi lại phản ánh.",
    "Không liên lạc được với người phản ánh qua số điện thoại đã cung cấp để xác minh nội dung.",
)
COMMUNE_ESCALATION_REASONS = (
    "Nội dung vượt thẩm quyền giải quyết của cấp xã, đề nghị cấp tỉnh xem xét.",
    "Vụ việc liên quan đến dự án do cấp tỉnh làm chủ đầu tư; cấp xã không có thẩm quyền xử lý.",
    "Phản ánh liên quan đến nhiều xã, phường và các sở, ngành; đề nghị cấp trên chủ trì giải quyết.",
    "Nội dung liên quan đến cán bộ của phường; chuyển cấp trên để bảo đảm khách quan.",
    "Đã phối hợp với các đơn vị liên quan nhưng chưa giải quyết dứt điểm, đề nghị cấp trên chỉ đạo.",
)
PROVINCE_ESCALATION_REASONS = (
    "Kiến nghị sửa đổi chính sách thuộc thẩm quyền của trung ương, đề nghị tổng hợp báo cáo.",
    "Vụ việc phức tạp, liên quan đến nhiều tỉnh, thành phố; đề nghị cấp trung ương chỉ đạo.",
    "Nội dung liên quan đến cơ quan trung ương đóng trên địa bàn, vượt thẩm quyền của cấp tỉnh.",
    "Người dân đã phản ánh nhiều lần, địa phương chưa giải quyết dứt điểm; đề nghị cấp trên xem xét.",
)
SYSTEM_ESCALATION_REASON = "Quá thời hạn tiếp nhận ở cấp xã; hệ thống tự động chuyển lên cấp trên."
INTERNAL_NOTES = (
    "Đã gọi điện cho người phản ánh để xác minh thêm thông tin; người dân gửi bổ sung ảnh chụp hiện trường.",
    "Đã liên hệ tổ trưởng tổ dân phố, hẹn kiểm tra thực tế vào sáng thứ Năm.",
    "Kiểm tra thực tế cùng cán bộ địa chính và công an khu vực; nội dung phản ánh cơ bản đúng.",
    "Cần lấy thêm ý kiến của bộ phận chuyên môn trước khi trả lời.",
    "Năm ngoái đã có phản ánh tương tự, xem lại hồ sơ cũ để trả lời thống nhất.",
    "Đã chụp ảnh hiện trạng, lưu vào hồ sơ vụ việc.",
    "Người phản ánh đề nghị giữ bí mật danh tính, lưu ý khi làm việc với các hộ liên quan.",
)
LEADER_NOTES = (
    "Đề nghị đồng chí phụ trách địa bàn theo dõi, báo cáo kết quả trước thứ Sáu.",
    "Vụ việc nhạy cảm, trả lời cần nêu rõ căn cứ pháp lý.",
    "Ưu tiên xử lý, người dân đã phản ánh nhiều lần.",
)
PUBLIC_NOTES = (
    "Chúng tôi đã tiếp nhận phản ánh và phân công cán bộ kiểm tra thực tế trong tuần này.",
    "Tổ công tác đã xuống hiện trường, đang phối hợp với các đơn vị liên quan để xử lý.",
    "Vụ việc cần thêm thời gian xác minh; chúng tôi sẽ thông tin kết quả tới ông/bà sớm nhất.",
    "Đã làm việc với các hộ liên quan, dự kiến có kết quả trong vài ngày tới.",
    "Cảm ơn ông/bà đã cung cấp thêm thông tin, chúng tôi đang tiếp tục xử lý.",
)
TRIAGE_NOTES = (
    "Đã tiếp nhận, đang phân loại và chuyển cán bộ phụ trách địa bàn.",
    "Đang đối chiếu với các phản ánh cùng địa điểm trước khi phân công.",
)
SEND_BACK_NOTES = (
    "Đề nghị bổ sung kết quả kiểm tra thực tế và thời hạn khắc phục cụ thể.",
    "Nội dung trả lời còn chung chung, cần nêu rõ đơn vị chịu trách nhiệm xử lý.",
    "Kiểm tra lại căn cứ pháp lý trước khi gửi người dân.",
    "Bỏ thông tin cá nhân của các hộ liên quan khỏi nội dung trả lời.",
    "Văn phong cần ngắn gọn, dễ hiểu hơn với người dân.",
)
EXTENSION_REASONS = (
    "Vụ việc cần xác minh thêm tại hiện trường và lấy ý kiến cơ quan chuyên môn nên cần thêm thời gian "
    "giải quyết.",
    "Nội dung liên quan đến nhiều hộ dân và đơn vị, cần tổ chức đối thoại trước khi trả lời.",
    "Đang chờ kết quả kiểm định, đo đạc của đơn vị chuyên môn.",
    "Cần đối chiếu hồ sơ lưu trữ từ trước khi sắp xếp đơn vị hành chính.",
)
FOLLOW_UP_RESPONSES = (
    "Sau phản hồi của ông/bà, tổ công tác đã kiểm tra lại hiện trường và yêu cầu các bên liên quan khắc "
    "phục triệt để; cán bộ địa bàn sẽ kiểm tra hằng tuần trong tháng tới.",
    "Chúng tôi đã làm việc lại với đơn vị liên quan, bổ sung biện pháp xử lý và giao cán bộ theo dõi đến "
    "khi vụ việc được giải quyết dứt điểm.",
    "Tiếp thu ý kiến của ông/bà, chúng tôi đã tổ chức đối thoại trực tiếp và thống nhất lộ trình khắc phục "
    "cụ thể, có biên bản kèm theo.",
)
SATISFIED_COMMENTS = (
    "",
    "",
    "Cảm ơn cán bộ đã xử lý nhanh chóng.",
    "Vấn đề đã được giải quyết, gia đình tôi rất cảm ơn.",
    "Đã khắc phục nhưng hơi chậm.",
    "Cảm ơn phường, mong được duy trì thường xuyên.",
    "Hài lòng với kết quả trả lời.",
)
UNSATISFIED_COMMENTS = (
    "Tình trạng vẫn tiếp diễn sau khi có trả lời.",
    "Câu trả lời chung chung, chưa giải quyết được vấn đề.",
    "Chưa thấy ai xuống kiểm tra thực tế như trong trả lời.",
    "Mới xử lý được vài hôm thì tình trạng cũ lại tái diễn.",
    "Tôi không đồng ý với kết quả xác minh, đề nghị kiểm tra lại.",
)
WITHDRAW_REASONS = (
    "",
    "Sự việc đã được giải quyết xong, tôi xin rút phản ánh.",
    "Gia đình đã tự hòa giải được với hàng xóm.",
    "Tôi gửi nhầm địa bàn, sẽ gửi lại phản ánh mới.",
    "Tôi đã được cán bộ hướng dẫn trực tiếp, không cần trả lời nữa.",
)
DUPLICATE_OPENERS = (
    "",
    "Tôi cũng sống ở khu vực này và xin phản ánh cùng sự việc. ",
    "Nhiều hộ dân chúng tôi đã phản ánh việc này nhưng tình trạng vẫn chưa thay đổi. ",
)
DUPLICATE_NOTE = (
    "Nội dung trùng với phản ánh {code} đang được giải quyết. Ông/bà theo dõi kết quả tại phản ánh đó."
)


# --- the report -------------------------------------------------------------------
