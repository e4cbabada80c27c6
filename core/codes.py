"""Every code list of the domain, in one place (DOMAIN.md "Fields", "Measures", "Places").

Each list maps a stable code (what the store keeps) to the Chinese label (what a user reads).
Codes that rules branch on are English words; descriptive lists keep the numbering of the
national 档案表 or the GB standard where one exists. Pages, services and exports take labels
from here, never from strings of their own.
"""

from __future__ import annotations

CodeList = dict[str, str]

# --- the file (档案) -------------------------------------------------------------------------

HOUSEHOLD_STATUS: CodeList = {
    "applying": "申请中",  # draft: not yet 在档, may not meet a category
    "active": "在档",
    "exited": "已脱困",
    "relieved": "已解困",
    "withdrawn": "已退出",
}
CLOSED_STATUSES = ("exited", "relieved", "withdrawn")

WITHDRAW_REASON: CodeList = {
    "death": "死亡",
    "misidentified": "识别不准/不符合",
    "transferred": "调离/退休",
    "other": "其他",
}

# Reasons recorded on a status change: the withdraw reasons, and 返困 for a reopened file.
STATUS_REASON: CodeList = {**WITHDRAW_REASON, "reopened": "返困"}

PROCESS_STEP: CodeList = {
    "apply": "申请",
    "survey": "入户调查",
    "publicity": "公示",
    "review": "审核",
    "filed": "在档",
    "imported": "导入的历史档案",  # a file from another system, 在档 there: no step of the filing here
}

CATEGORY: CodeList = {
    # rule set "2016 national"
    "dibao": "低保户",
    "dibao_edge": "低保边缘户",
    "accident": "意外致困户",
    # rule set "深度/相对/意外致困"
    "deep": "深度困难",
    "relative": "相对困难",
    "accident_2019": "意外致困",
}

RULE_SET: CodeList = {
    "national_2016": "2016 全国标准（低保户/低保边缘户/意外致困户）",
    "deep_relative_2019": "深度/相对/意外致困",
}

CAUSE: CodeList = {
    "1": "无劳动能力",
    "2": "有劳动能力而未就业",
    "3": "下岗失业",
    "4": "未参加社会保险",
    "5": "社会保险待遇落实不到位",
    "6": "患重特大疾病",
    "7": "遭受自然灾害",
    "8": "遭受意外事故",
    "9": "子女上学",
    "10": "其他",
}
MAX_SECONDARY_CAUSES = 3

KEY_GROUP: CodeList = {  # 五类重点群体
    "dibao_underemployed": "低保范围内有劳动能力而未充分就业",
    "below_line_not_covered": "收入或生活水平低于低保线而未纳入低保",
    "spending_hardship": "支出性生活困难（因病/灾/意外）",
    "migrant_worker": "城市困难农民工",
    "supply_side_reform": "供给侧结构性改革中的困难职工",
}

EXCLUSION: CodeList = {  # any "yes" means no file may be opened
    "two_homes": "拥有两套及以上住房",
    "business": "经营商铺或雇佣他人",
    "private_school": "子女就读高收费私立学校或自费出国留学",
    "vehicle": "经常使用机动车辆（非工作需要）",
}

SEX: CodeList = {"1": "男", "2": "女"}

ETHNICITY: CodeList = {  # GB 3304
    "01": "汉族", "02": "蒙古族", "03": "回族", "04": "藏族", "05": "维吾尔族", "06": "苗族",
    "07": "彝族", "08": "壮族", "09": "布依族", "10": "朝鲜族", "11": "满族", "12": "侗族",
    "13": "瑶族", "14": "白族", "15": "土家族", "16": "哈尼族", "17": "哈萨克族", "18": "傣族",
    "19": "黎族", "20": "傈僳族", "21": "佤族", "22": "畲族", "23": "高山族", "24": "拉祜族",
    "25": "水族", "26": "东乡族", "27": "纳西族", "28": "景颇族", "29": "柯尔克孜族", "30": "土族",
    "31": "达斡尔族", "32": "仫佬族", "33": "羌族", "34": "布朗族", "35": "撒拉族", "36": "毛南族",
    "37": "仡佬族", "38": "锡伯族", "39": "阿昌族", "40": "普米族", "41": "塔吉克族", "42": "怒族",
    "43": "乌孜别克族", "44": "俄罗斯族", "45": "鄂温克族", "46": "德昂族", "47": "保安族",
    "48": "裕固族", "49": "京族", "50": "塔塔尔族", "51": "独龙族", "52": "鄂伦春族", "53": "赫哲族",
    "54": "门巴族", "55": "珞巴族", "56": "基诺族", "97": "其他", "98": "外国血统中国籍人士",
}

POLITICAL_STATUS: CodeList = {  # GB/T 4762
    "01": "中共党员", "02": "中共预备党员", "03": "共青团员", "04": "民革党员", "05": "民盟盟员",
    "06": "民建会员", "07": "民进会员", "08": "农工党党员", "09": "致公党党员", "10": "九三学社社员",
    "11": "台盟盟员", "12": "无党派人士", "13": "群众",
}

HEALTH: CodeList = {
    "healthy": "健康",
    "chronic": "患慢性病",
    "serious": "患重特大疾病",
    "disabled": "残疾",
    "unable": "丧失劳动能力",
}

DISABILITY_KIND: CodeList = {
    "vision": "视力", "hearing": "听力", "speech": "言语", "intellect": "智力",
    "limb": "肢体", "mental": "精神", "multiple": "多重",
}
DISABILITY_GRADE: CodeList = {"1": "一级", "2": "二级", "3": "三级", "4": "四级"}

WORK_STATUS: CodeList = {
    "employed": "在岗",
    "laid_off": "下(待)岗",
    "unemployed": "失(无)业",
    "retired": "退休",
    "sick_leave": "病休",
    "early_retired": "内退",
    "migrant": "农民工",
}

MODEL_WORKER: CodeList = {
    "none": "非劳模",
    "national": "全国劳模",
    "provincial": "省部级劳模",
    "municipal": "市级劳模",
}

HOUSING: CodeList = {
    "unit_public": "承租单位公房",
    "low_rent": "政府廉租房",
    "owned": "自购房",
    "none": "无房",
    "rented": "租房",
    "self_built": "自建房",
    "other": "其他",
}

EMPLOYER_KIND: CodeList = {
    "state": "国有企业", "collective": "集体企业", "private": "私营企业", "foreign": "外资企业",
    "public_institution": "机关事业单位", "individual": "个体工商户", "other": "其他",
}

INDUSTRY: CodeList = {  # GB/T 4754 sections, as the 档案表 uses them
    "A": "农、林、牧、渔业", "B": "采矿业", "C": "制造业", "D": "电力、热力、燃气及水生产和供应业",
    "E": "建筑业", "F": "批发和零售业", "G": "交通运输、仓储和邮政业", "H": "住宿和餐饮业",
    "I": "信息传输、软件和信息技术服务业", "J": "金融业", "K": "房地产业", "L": "租赁和商务服务业",
    "M": "科学研究和技术服务业", "N": "水利、环境和公共设施管理业", "O": "居民服务、修理和其他服务业",
    "P": "教育", "Q": "卫生和社会工作", "R": "文化、体育和娱乐业", "S": "公共管理、社会保障和社会组织",
}

MARITAL: CodeList = {"married": "已婚", "single": "未婚", "divorced": "离异", "widowed": "丧偶"}

HUKOU: CodeList = {"urban": "非农业", "rural": "农业", "rural_to_urban": "农转居"}

MEDICAL_INSURANCE: CodeList = {
    "employee": "城镇职工基本医疗保险",
    "resident": "城乡居民基本医疗保险",
    "none": "未参保",
}

# 纳入政府救助体系: the government assistance programmes a household can be in, each a dated record
ASSISTANCE_PROGRAMME: CodeList = {
    "dibao": "低保", "tekun": "特困供养", "temporary": "临时救助", "medical": "医疗救助",
    "disaster": "受灾人员救助", "education": "教育救助", "housing": "住房救助", "employment": "就业救助",
}
# where an assistance record comes from
ASSISTANCE_SOURCE: CodeList = {
    "roster": "民政部门名单比对", "survey": "入户调查", "import": "导入", "manual": "手工录入",
    "legacy": "原档案字段迁移",  # the single 纳入低保/特困 field of schema 0005, moved by migration 0007
}

RELATION: CodeList = {
    "spouse": "配偶", "child": "子女", "parent": "父母", "parent_in_law": "岳父母/公婆",
    "grandchild": "孙子女", "sibling": "兄弟姐妹", "other": "其他",
}

MEMBER_IDENTITY: CodeList = {
    "employed": "在岗", "student": "学生", "preschool": "学龄前", "retired": "退休",
    "unemployed": "失业", "unable": "无劳动能力", "farmer": "务农", "other": "其他",
}

# --- measures (四个一批) ------------------------------------------------------------------------

TRACK: CodeList = {
    "employment": "就业创业",
    "insurance": "社会保险",
    "medical": "医疗",
    "safety_net": "社会救助兜底",
    "warmth": "送温暖",  # belongs to none of the four tracks
}

PROGRAMME: CodeList = {
    "golden_autumn": "金秋助学",
    "love_card": "工会爱心卡",
    "serious_illness_mutual": "职工大病医疗互助",
    "dialysis": "尿毒症肾透析专项救助",
    "other": "其他",
}

MEASURE_STATUS: CodeList = {"planned": "计划", "in_progress": "实施中", "done": "已完成"}

FUND_SOURCE: CodeList = {
    "union": "工会经费",
    "fiscal": "财政资金",
    "donation": "社会捐赠",
    "other": "其他",
}

# How often a measure's money is paid (a schedule entered once produces the payment rows).
PAY_EVERY: CodeList = {
    "once": "一次性",
    "monthly": "每月",
    "quarterly": "每季度",
    "half_yearly": "每半年",
    "yearly": "每年",
}
PAY_EVERY_MONTHS = {"once": 0, "monthly": 1, "quarterly": 3, "half_yearly": 6, "yearly": 12}

# Named programmes that belong to one track (DOMAIN.md "Measures"); 其他 fits any track.
PROGRAMME_TRACK = {
    "golden_autumn": "safety_net",  # 教育救助
    "love_card": "medical",
    "serious_illness_mutual": "medical",
    "dialysis": "medical",
}

# Measures that count as a plan being carried out (计划/实施中); 已完成 no longer covers a cause.
OPEN_MEASURE_STATUSES = ("planned", "in_progress")

VISIT_KIND: CodeList = {
    "home": "入户走访",
    "phone": "电话回访",
    "warmth": "送温暖",
    "other": "其他",
}

# 工作台: the work queues of a user's scope, in the order they are shown.
WORK_QUEUE: CodeList = {
    "no_helper": "没有帮扶责任人",
    "no_plan": "没有在办的帮扶计划",
    "uncovered_cause": "致困原因没有在办的措施",
    "visit_overdue": "走访逾期",
    "income_missing": "缺上月收入",
    "near_exit": "即将脱困",
    "exit_unhelped": "收入已达标、未记录帮扶",
    "income_not_recent": "缺近期收入",
    "followup_due": "脱困/解困后待回访",
    "untouched": "一年以上无任何更新",
    "never_helped": "从未得到帮扶",
    "checks_missing": "待补核查",
}

# --- organisation and people -----------------------------------------------------------------

ORG_KIND: CodeList = {
    "city": "市总工会",
    "district": "区县工会",
    "industry": "产业工会",
    "grassroots": "基层工会",
}

ROLE: CodeList = {
    "admin": "管理员（市总）",
    "staff": "业务人员",
    "viewer": "查看（看板）",
    "analyst": "政策分析",
}

PLACE_KIND: CodeList = {"city": "市", "district": "区县", "zone": "功能区"}

# --- the audit log, as a person reads it ----------------------------------------------------------

AUDIT_ENTITY: CodeList = {
    "app_user": "用户", "household": "档案", "member": "家庭成员", "household_cause": "致困原因",
    "income_month": "月收入", "dibao_line": "低保标准", "policy_parameter": "政策参数", "measure": "帮扶措施",
    "aid_payment": "资金发放", "pairing": "结对帮扶", "visit": "走访记录", "org": "工会组织", "demo": "示例数据",
    "exclusion_check": "排除情形", "process_step": "建档步骤", "import_batch": "导入批次",
    "assistance_record": "救助记录",
}
AUDIT_ACTION: CodeList = {
    "create": "新建", "update": "修改", "delete": "删除", "login": "登录", "login_failed": "登录失败",
    "login_throttled": "登录限速", "logout_all": "结束全部登录",
    "close": "关闭档案", "reopen": "返困", "import": "导入", "undo_import": "撤销导入", "export": "导出",
    "read": "查看档案", "download": "下载", "search": "按身份证号查询", "match": "名单比对", "refuse_dup": "查重拒绝",
}

# the code lists are the names annotated `CodeList` (not the helper mappings such as PROGRAMME_TRACK)
ALL_LISTS: dict[str, CodeList] = {
    name: globals()[name] for name, kind in __annotations__.items() if kind in ("CodeList", CodeList)
}


def label(code_list: CodeList, code: str | None, default: str = "") -> str:
    """The Chinese label of a code, or `default` when the code is empty or unknown."""
    if code is None:
        return default
    return code_list.get(code, default)


def code_for(code_list: CodeList, text: str) -> str | None:
    """Accept either a code or its label (as typed in a form or a spreadsheet)."""
    text = (text or "").strip()
    if text in code_list:
        return text
    for code, lab in code_list.items():
        if lab == text:
            return code
    return None
