"""Invented people: the name pools and the identifiers (ID numbers, mobiles, credit codes, file numbers)."""

from __future__ import annotations

import datetime as dt

from core.identity import USCC_CHARS, id_check_char, uscc_check_char

from demo.places import DistrictSpec, Employer


# --- people -----------------------------------------------------------------------------------

SURNAMES = ("王王王王李李李李张张张张刘刘刘陈陈杨杨赵赵赵黄周吴徐孙孙马马胡朱郭郭何高高林罗郑梁谢宋唐许韩冯邓曹"
            "彭肖田董袁于于于蒋蔡杜程苏魏吕丁任沈姚卢姜崔钟陆范金石贾夏付方白孟秦江尹薛闫段雷侯史郝邵常齐李王")
MANCHU_SURNAMES = "关关那佟富赵赵金肖"
MALE_CHARS = ("伟刚勇毅俊峰强军平保东文辉力明永健广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信杰涛"
              "昌成康光天达安岩中茂进林有坚和博诚振庆磊民友河江超浩亮宏鹏泽晨建家树德立春")
FEMALE_CHARS = ("秀娟英华慧巧美娜静淑惠翠雅芝玉萍红玲芬芳燕彩春菊兰凤洁梅琳素云莲雪荣爱霞香月艳瑞佳琼珍莉桂丽"
                "秋晶婷颖露丹蓉君琴岚敏红霞")
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156",
                   "157", "158", "159", "176", "177", "180", "182", "183", "185", "186", "187", "188", "189")
BANKS = ("中国农业银行秦皇岛分行", "中国工商银行秦皇岛分行", "中国建设银行秦皇岛分行", "秦皇岛银行", "河北省农村信用社",
         "中国邮政储蓄银行秦皇岛分行")
COMMUNITIES = ("友谊", "和平", "幸福", "红旗", "光明", "新华", "胜利", "海阳", "迎宾", "燕山", "金海", "滨海", "东环", "文苑",
               "铁路", "港城", "民族", "育花")
VILLAGES = ("前营", "后营", "东庄", "西庄", "王家庄", "李家堡", "大屯", "小屯", "河南", "石门", "沙河", "桃园", "柳河",
            "双山", "杨家店", "下庄", "上庄", "新立", "梨树沟", "南台")
SCHOOLS_COLLEGE = ("燕山大学", "东北大学秦皇岛分校", "河北科技师范学院", "河北环境工程学院", "秦皇岛职业技术学院",
                   "河北农业大学", "天津职业技术师范大学")


class IdentityParts:
    """Names and identifiers, each unused so far in the demo."""

    # -- identifiers --------------------------------------------------------------------------

    def full_name(self, sex: str, surname: str | None = None, manchu: bool = False) -> str:
        if surname is None:
            surname = self.rng.choice(MANCHU_SURNAMES if manchu and self.rng.random() < 0.4 else SURNAMES)
        chars = MALE_CHARS if sex == "1" else FEMALE_CHARS
        given = self.rng.choice(chars) if self.rng.random() < 0.3 else self.rng.choice(chars) + self.rng.choice(chars)
        return surname + given

    def id_number(self, division: str, birth: dt.date, sex: str) -> str:
        """A valid, unused 18-digit number; the 17th digit is odd for men, even for women."""
        while True:
            order = self.rng.randrange(1000)
            if (order % 2 == 1) != (sex == "1"):
                order ^= 1
            first17 = f"{division}{birth:%Y%m%d}{order:03d}"
            number = first17 + id_check_char(first17)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.used_mobiles:
                self.used_mobiles.add(number)
                return number

    def uscc(self, employer: Employer, division: str) -> str:
        """One 统一社会信用代码 per employer, valid under GB 32100 (registered here: 9x, or 12 for 事业单位)."""
        if employer.name not in self.uscc_by_employer:
            prefix = {"public_institution": "12", "individual": "92"}.get(employer.kind, "91")
            body = "".join(self.rng.choice(USCC_CHARS) for _ in range(9))
            first17 = f"{prefix}{division}{body}"
            self.uscc_by_employer[employer.name] = first17 + uscc_check_char(first17)
        return self.uscc_by_employer[employer.name]

    def file_no(self, spec: DistrictSpec) -> str:
        self.file_counters[spec.code] = self.file_counters.get(spec.code, 0) + 1
        return f"QHD-{spec.file_code}-{self.file_counters[spec.code]:06d}"
