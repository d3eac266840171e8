"""The petitions of the search relevance set (``tests/search/relevance.py``): realistic complaints of Hà Nội.

The look-alikes (words that fold to the same letters once tone marks are dropped) are listed last,
so they are submitted last and are the newest cases: a backend that breaks ties by date cannot
rank the real matches first by luck.
"""

from __future__ import annotations

from dataclasses import dataclass


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
