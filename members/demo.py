"""Demo data of the members app: the three cities of the seed report at their real sizes.

``manage.py load_demo`` runs :func:`load` (registered in ``MembersConfig.ready()``, order 100, so
it comes before every other app's step: everything hangs on the tree). Everything is keyed by a
stable organization ``code`` or a member's ID number, and only what is missing is inserted, so a
second run changes nothing. The data is generated from fixed seeds (Faker ``zh_CN`` and
``random.Random``), so every machine gets the same names, codes and ID numbers.

Organization codes (other apps' demo steps and tests look them up):

============================  ==================================================================
``ZZ``                        中共漳州市委员会, Zhangzhou city committee
``ZZ-JG``                     漳州市直属机关工作委员会: root of Zhangzhou's municipal direct organs
``ZZ-JG-C01`` … ``C66``       the 66 party committees of city departments (机关党委)
``ZZ-JG-G01`` … ``G34``       the 34 general branches (党总支); ``G01``–``G10`` sit under committees
``ZZ-JG-C01-B01`` …           branches under a committee; ``ZZ-JG-G01-B01`` … under a general
                              branch; ``ZZ-JG-B01`` … ``B20`` directly under the working committee
                              (555 branches in all)
``QZ``                        中共泉州市委员会, Quanzhou city committee
``QZ-<division>``             a county or district by its administrative division code, e.g.
                              ``QZ-350582`` 晋江市, ``QZ-350581`` 石狮市, ``QZ-350502`` 鲤城区
``QZ-<division>-FG``          the county's working committee for non-public enterprises (非公党工委)
``QZ-<division>-FG-E01`` …    party committees of large enterprises under it (branches ``-B01`` …)
``QZ-<division>-T01`` …       townships and streets (乡镇、街道)
``QZ-<division>-Tnn-QW``      a township's enterprise party committee (56 townships have one)
``QZ-<division>-Tnn-G01`` …   enterprise general branches (branches beneath: ``-B01`` …)
``QZ-<division>-Tnn-B001`` …  enterprise branches, standalone or joint (联合党支部)
``FZ``                        中共福州市委员会, Fuzhou city committee
``FZ-<division>``             the 5 districts: ``FZ-350102`` 鼓楼区, ``FZ-350103`` 台江区,
                              ``FZ-350104`` 仓山区, ``FZ-350105`` 马尾区, ``FZ-350111`` 晋安区
``FZ-<division>-S01`` …       the 33 street working committees (街道党工委)
``FZ-<division>-Snn-C01`` …   community party organizations (committee, general branch or branch);
                              branches beneath a community committee: ``-B1`` …
============================  ==================================================================

Sizes: Zhangzhou's direct organs 66 committees, 34 general branches, 555 branches, 42 of them past
their term, 9,343 members (9,208 formal); Quanzhou 1,739 non-public-enterprise party
organizations (``sector=enterprise``) with 18,813 members whose workplace ``enterprise`` is a
valid unified social credit code; Fuzhou 5 districts, 33 streets, 285 communities and
:data:`FUZHOU_MEMBERS` community members. Every ID number is a valid GB 11643 number matching
the member's birth date and gender.

Demo users (see :data:`DEMO_USERS`; ``make run`` prints them): a city administrator, staff of
Zhangzhou's direct organs, of Jinjiang county (Quanzhou) and of Gulou district (Fuzhou), the
secretaries of branches ``ZZ-JG-C01-B01`` (A) and ``ZZ-JG-C01-B02`` (B) of the same committee, and
a statistics reader over Quanzhou.
"""

import datetime
import random
import time
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from members.models import Member, Organization
from members.models.organizations import path_step
from members.validators import credit_code_check_character, id_number_check_character

SEED = 20040719  # the study trip of the report began on 19 July

ZHANGZHOU_MEMBERS = 9343
ZHANGZHOU_FORMAL = 9208
ZHANGZHOU_OVERDUE = 42
QUANZHOU_ENTERPRISE_ORGS = 1739
QUANZHOU_MEMBERS = 18813
FUZHOU_COMMUNITIES = 285
FUZHOU_MEMBERS = 11460

# (username, password, role, organization code, description)
DEMO_USERS = [
    ("admin", "demo-admin-2004", "city_admin", None, "City administrator (everything)"),
    ("zz_organs", "demo-organs-2004", "staff", "ZZ-JG", "Staff, Zhangzhou municipal direct organs"),
    ("qz_jinjiang", "demo-jinjiang-2004", "staff", "QZ-350582", "Staff, Jinjiang county (Quanzhou)"),
    ("fz_gulou", "demo-gulou-2004", "staff", "FZ-350102", "Staff, Gulou district (Fuzhou)"),
    ("secretary_a", "demo-branch-a-2004", "secretary", "ZZ-JG-C01-B01", "Secretary of branch A"),
    ("secretary_b", "demo-branch-b-2004", "secretary", "ZZ-JG-C01-B02", "Secretary of branch B (same parent)"),
    ("stats_reader", "demo-stats-2004", "reader", "QZ", "Statistics reader, Quanzhou"),
]


@dataclass
class OrgSpec:
    code: str
    name: str
    kind: str
    sector: str
    parent: str = None
    term_started_on: datetime.date = None
    term_years: int = None
    # Not stored: what the demo members of this organization look like.
    unit: str = ""
    division: str = ""
    enterprises: list = field(default_factory=list)


# --- Names ------------------------------------------------------------------------------------

ZHANGZHOU_DEPARTMENTS = [
    "市委办公室", "市人大常委会机关", "市政府办公室", "市政协机关", "市纪委机关", "市委组织部",
    "市委宣传部", "市委统战部", "市委政法委", "市委党校", "市委老干部局", "市委政策研究室",
    "市发展和改革委员会", "市经济贸易委员会", "市教育局", "市科学技术局", "市公安局", "市监察局",
    "市民政局", "市司法局", "市财政局", "市人事局", "市劳动和社会保障局", "市国土资源局",
    "市建设局", "市规划局", "市交通局", "市水利局", "市农业局", "市林业局", "市海洋与渔业局",
    "市对外贸易经济合作局", "市文化局", "市卫生局", "市人口和计划生育委员会", "市审计局",
    "市环境保护局", "市统计局", "市物价局", "市体育局", "市广播电视局", "市旅游局", "市粮食局",
    "市工商行政管理局", "市地方税务局", "市国家税务局", "市质量技术监督局", "市药品监督管理局",
    "市中级人民法院", "市人民检察院", "市国有资产监督管理委员会", "市安全生产监督管理局",
    "市城市管理行政执法局", "市机关事务管理局", "市总工会", "团市委", "市妇联", "市科协",
    "市供销合作社", "市公路局", "市港务局", "漳州日报社", "漳州广播电视台", "市医院", "市中医院",
    "市第三医院", "市外事侨务办公室", "市台湾事务办公室", "市法制局", "市信访局", "市人防办",
    "市档案局", "市气象局", "市地震局", "市烟草专卖局", "市民族与宗教事务局", "市新闻出版局",
    "市文联", "市侨联", "市残联", "市工商联", "市红十字会", "市委党史研究室", "市地方志办公室",
    "市住房公积金管理中心", "市社会保险管理中心", "市贸促会", "市农业科学研究所", "市图书馆",
    "市博物馆", "市建筑设计院", "市自来水公司", "市盐务局", "市邮政局", "市电业局",
    "市经济开发区管委会", "市招商局", "市行政服务中心", "市公共资源交易中心", "市疾病预防控制中心",
    "市妇幼保健院", "市中心血站", "市少年宫", "市青少年活动中心", "市老年大学", "市职业技术学校",
    "市第一中学", "市第二中学", "市实验小学", "市园林局", "市房地产管理局", "市畜牧水产局",
]
ZHANGZHOU_SECTIONS = ["秘书科", "综合科", "政策法规科", "计划财务科", "人事科", "业务一科", "业务二科",
                      "监督检查科", "信息中心", "直属单位"]
CHINESE_ORDINALS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"]

# Quanzhou: counties and districts (administrative division code, name, weight of non-public
# enterprises) and their townships and streets.
QUANZHOU_COUNTIES = [
    ("350502", "鲤城区", 6, ["海滨街道", "临江街道", "鲤中街道", "开元街道", "浮桥街道", "江南街道", "金龙街道", "常泰街道"]),
    ("350503", "丰泽区", 7, ["东湖街道", "丰泽街道", "泉秀街道", "清源街道", "华大街道", "城东街道", "东海街道", "北峰街道"]),
    ("350504", "洛江区", 4, ["万安街道", "双阳街道", "河市镇", "马甲镇", "罗溪镇", "虹山乡"]),
    ("350505", "泉港区", 5, ["山腰街道", "南埔镇", "界山镇", "后龙镇", "峰尾镇", "前黄镇", "涂岭镇"]),
    ("350521", "惠安县", 9, ["螺城镇", "螺阳镇", "黄塘镇", "紫山镇", "洛阳镇", "东园镇", "张坂镇", "崇武镇",
                           "山霞镇", "涂寨镇", "东岭镇", "东桥镇", "净峰镇", "小岞镇", "辋川镇", "百崎回族乡"]),
    ("350524", "安溪县", 7, ["凤城镇", "蓬莱镇", "湖头镇", "官桥镇", "剑斗镇", "城厢镇", "金谷镇", "龙门镇",
                           "虎邱镇", "芦田镇", "感德镇", "魁斗镇", "西坪镇", "参内乡", "白濑乡", "湖上乡",
                           "尚卿乡", "大坪乡", "龙涓乡", "长坑乡", "蓝田乡", "祥华乡", "桃舟乡", "福田乡"]),
    ("350525", "永春县", 4, ["桃城镇", "五里街镇", "一都镇", "下洋镇", "蓬壶镇", "达埔镇", "吾峰镇", "石鼓镇",
                           "岵山镇", "东平镇", "湖洋镇", "坑仔口镇", "玉斗镇", "锦斗镇", "东关镇", "桂洋镇",
                           "苏坑镇", "仙夹镇", "横口乡", "呈祥乡", "介福乡", "外山乡"]),
    ("350526", "德化县", 5, ["浔中镇", "龙浔镇", "三班镇", "龙门滩镇", "雷峰镇", "南埕镇", "水口镇", "赤水镇",
                           "葛坑镇", "上涌镇", "盖德乡", "杨梅乡", "汤头乡", "桂阳乡", "国宝乡", "美湖乡",
                           "大铭乡", "春美乡"]),
    ("350581", "石狮市", 12, ["湖滨街道", "凤里街道", "灵秀镇", "宝盖镇", "蚶江镇", "祥芝镇", "鸿山镇", "锦尚镇",
                            "永宁镇"]),
    ("350582", "晋江市", 26, ["青阳街道", "梅岭街道", "西园街道", "罗山街道", "灵源街道", "新塘街道", "安海镇",
                            "磁灶镇", "陈埭镇", "池店镇", "内坑镇", "紫帽镇", "东石镇", "永和镇", "英林镇",
                            "金井镇", "龙湖镇", "深沪镇", "西滨镇"]),
    ("350583", "南安市", 15, ["溪美街道", "柳城街道", "美林街道", "省新镇", "仑苍镇", "东田镇", "英都镇", "翔云镇",
                            "金淘镇", "诗山镇", "蓬华镇", "码头镇", "九都镇", "乐峰镇", "罗东镇", "梅山镇",
                            "洪梅镇", "康美镇", "丰州镇", "霞美镇", "官桥镇", "水头镇", "石井镇", "眉山乡",
                            "向阳乡"]),
]
QUANZHOU_INDUSTRIES = {
    "350582": ["鞋业", "纺织", "服装", "食品", "陶瓷", "伞业", "拉链", "包装"],
    "350581": ["服装", "纺织", "鞋业", "印染", "五金", "箱包"],
    "350583": ["石材", "水暖", "建材", "机械", "鞋业", "茶业"],
    "350521": ["石雕", "石材", "鞋业", "工艺品", "建材"],
    "350526": ["陶瓷", "瓷业", "工艺品", "包装"],
    "350524": ["茶业", "藤铁工艺", "建材", "食品"],
    "350525": ["芦柑", "香业", "漆篮工艺", "茶业", "机械"],
}
QUANZHOU_DEFAULT_INDUSTRIES = ["机械", "电子", "食品", "建材", "贸易", "物流", "化工", "塑料"]
BRAND_CHARACTERS = "恒安鸿星嘉华盛泰达源兴隆鑫宏富豪利祥福荣昌丰裕金信德诚永顺佳美联亿万新创凯威锦龙凤海峰泉闽南益宝"
ENTERPRISE_ORG_COUNTS = {"county_working": 11, "township_committees": 56, "large": 33, "general": 120}

FUZHOU_DISTRICTS = [
    ("350102", "鼓楼区", ["鼓东街道", "鼓西街道", "温泉街道", "东街街道", "南街街道", "安泰街道", "华大街道",
                        "水部街道", "五凤街道"]),
    ("350103", "台江区", ["瀛洲街道", "后洲街道", "义洲街道", "新港街道", "上海街道", "苍霞街道", "茶亭街道",
                        "洋中街道", "鳌峰街道", "宁化街道"]),
    ("350104", "仓山区", ["仓前街道", "东升街道", "对湖街道", "临江街道", "三叉街街道", "上渡街道", "下渡街道",
                        "金山街道"]),
    ("350105", "马尾区", ["罗星街道"]),
    ("350111", "晋安区", ["茶园街道", "王庄街道", "象园街道", "岳峰街道", "鼓山镇"]),
]
COMMUNITY_WORDS = "东南西北中新福安康泰宁和平乐华兴民祥瑞庆丰湖山江洲桥门街坊园林苑里荣锦绣光明朝阳温泉乌山屏山"

ZHANGZHOU_ID_DIVISIONS = ["350602", "350603", "350622", "350623", "350624", "350625", "350626", "350627",
                          "350628", "350629", "350681", "350600"]
# Migrant workers in Quanzhou's factories come from all over the country.
MIGRANT_ID_DIVISIONS = ["360721", "360733", "430521", "430623", "511321", "512021", "522121", "522426",
                        "421221", "411522", "341221", "350821", "350425", "350181"]
FUZHOU_ID_DIVISIONS = ["350102", "350103", "350104", "350105", "350111", "350121", "350122", "350181"]
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
                   "155", "156", "158", "159", "180", "186", "187", "188", "189"]


def _term(rng, today, years, overdue):
    """A term of office of ``years`` years; past its end when ``overdue``."""
    if overdue:
        # Ran out between one month and two years ago.
        started = today - datetime.timedelta(days=365 * years + rng.randint(30, 730))
    else:
        # Started within the last two years: runs out at least a year from now.
        started = today - datetime.timedelta(days=rng.randint(30, 700))
    return started, years


# --- The organization tree -----------------------------------------------------------------------


def zhangzhou_organizations(today):
    rng = random.Random(SEED + 1)
    departments = list(ZHANGZHOU_DEPARTMENTS)
    committees_depts, general_depts, direct_depts = departments[:66], departments[66:90], departments[90:110]
    specs = [
        OrgSpec("ZZ", "中共漳州市委员会", "committee", "organ", None, *_term(rng, today, 5, False)),
        OrgSpec("ZZ-JG", "中共漳州市直属机关工作委员会", "working_committee", "organ", "ZZ", *_term(rng, today, 5, False)),
    ]
    below = []  # everything under the working committee, to pick the overdue ones from
    committees = []
    for number, dept in enumerate(committees_depts, start=1):
        spec = OrgSpec("ZZ-JG-C{:02d}".format(number), "中共漳州{}机关委员会".format(dept), "committee", "organ",
                       "ZZ-JG", unit="漳州" + dept)
        committees.append(spec)
        below.append(spec)
    generals = []
    # G01-G10 are general branches inside the ten largest committees' departments; G11-G34 are units of their own.
    for number in range(1, 35):
        if number <= 10:
            parent = committees[number - 1]
            dept = parent.unit
            name = "{}直属单位党总支".format(dept) if number % 2 else "{}离退休干部党总支".format(dept)
            spec = OrgSpec("ZZ-JG-G{:02d}".format(number), name, "general_branch", "organ", parent.code, unit=dept)
        else:
            dept = "漳州" + general_depts[number - 11]
            spec = OrgSpec("ZZ-JG-G{:02d}".format(number), "中共{}总支部委员会".format(dept), "general_branch",
                           "organ", "ZZ-JG", unit=dept)
        generals.append(spec)
        below.append(spec)
    branches = []
    # 555 branches: 3 under each general branch (102), 20 directly under the working committee,
    # and the remaining 433 spread over the committees (at least 4 each).
    for general in generals:
        for index in range(3):
            branches.append(OrgSpec("{}-B{:02d}".format(general.code, index + 1),
                                    "{}第{}党支部".format(general.unit, CHINESE_ORDINALS[index]),
                                    "branch", "organ", general.code, unit=general.unit))
    for index, dept in enumerate(direct_depts, start=1):
        branches.append(OrgSpec("ZZ-JG-B{:02d}".format(index), "中共漳州{}支部委员会".format(dept), "branch", "organ",
                                "ZZ-JG", unit="漳州" + dept))
    per_committee = _spread(rng, 555 - len(branches), len(committees), minimum=4, maximum=12)
    for committee, count in zip(committees, per_committee):
        for index in range(count):
            if index == count - 1:
                name = "{}离退休干部党支部".format(committee.unit)
            elif index < len(ZHANGZHOU_SECTIONS):
                name = "{}{}党支部".format(committee.unit, ZHANGZHOU_SECTIONS[index])
            else:
                name = "{}机关第{}党支部".format(committee.unit, CHINESE_ORDINALS[index % len(CHINESE_ORDINALS)])
            branches.append(OrgSpec("{}-B{:02d}".format(committee.code, index + 1), name, "branch", "organ",
                                    committee.code, unit=committee.unit))
    below.extend(branches)
    # Branches A and B of the demo secretaries keep a current term (the overdue list is elsewhere).
    candidates = [spec.code for spec in below if spec.code not in ("ZZ-JG-C01-B01", "ZZ-JG-C01-B02")]
    overdue = set(rng.sample(candidates, ZHANGZHOU_OVERDUE))
    for spec in below:
        years = 5 if spec.kind == "committee" else 3
        spec.term_started_on, spec.term_years = _term(rng, today, years, spec.code in overdue)
    specs.extend(committees)
    specs.extend(generals)
    specs.extend(branches)
    return specs


def _spread(rng, total, buckets, minimum, maximum=None):
    """``total`` split into ``buckets`` random counts, each at least ``minimum`` (and at most ``maximum``)."""
    counts = [minimum] * buckets
    for _ in range(total - minimum * buckets):
        while True:
            index = rng.randrange(buckets)
            if maximum is None or counts[index] < maximum:
                counts[index] += 1
                break
    return counts


def _weighted_choice(rng, items, weights):
    return rng.choices(items, weights=weights, k=1)[0]


def _credit_code(rng, division, used):
    """A unified social credit code (GB 32100) of an enterprise registered in ``division``."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    while True:
        body = "91" + division + "".join(rng.choice(alphabet) for _ in range(9))
        code = body + credit_code_check_character(body)
        if code not in used:
            used.add(code)
            return code


def quanzhou_organizations(today):
    """Quanzhou's territorial tree down to townships, and its 1,739 non-public-enterprise organizations."""
    rng = random.Random(SEED + 2)
    specs = [OrgSpec("QZ", "中共泉州市委员会", "committee", "organ", None, *_term(rng, today, 5, False))]
    townships = []  # (spec, county division, weight)
    used_names, used_codes = set(), set()
    enterprise_specs = []

    def company(division, county):
        industries = QUANZHOU_INDUSTRIES.get(division, QUANZHOU_DEFAULT_INDUSTRIES)
        while True:
            brand = rng.choice(BRAND_CHARACTERS) + rng.choice(BRAND_CHARACTERS)
            name = "{}{}{}有限公司".format(county[:-1] if len(county) > 2 else county, brand, rng.choice(industries))
            if name not in used_names and brand[0] != brand[1]:
                used_names.add(name)
                return name, _credit_code(rng, division, used_codes)

    def enterprise_org(code, name, kind, parent, division, enterprises=()):
        spec = OrgSpec(code, name, kind, "enterprise", parent, *_term(rng, today, 3 if kind == "branch" else 5,
                                                                    rng.random() < 0.03),
                       division=division, enterprises=list(enterprises))
        enterprise_specs.append(spec)
        return spec

    counties = {}
    for division, county, weight, names in QUANZHOU_COUNTIES:
        county_code = "QZ-" + division
        specs.append(OrgSpec(county_code, "中共泉州市{}委员会".format(county) if county.endswith("区")
                             else "中共{}委员会".format(county), "committee", "rural", "QZ",
                             *_term(rng, today, 5, False), division=division))
        counties[division] = county
        enterprise_org(county_code + "-FG", "中共{}非公有制企业工作委员会".format(county), "working_committee",
                       county_code, division)
        for number, township in enumerate(names, start=1):
            street = township.endswith("街道")
            spec = OrgSpec("{}-T{:02d}".format(county_code, number),
                           "中共{}{}{}".format(county, township, "工作委员会" if street else "委员会"),
                           "working_committee" if street else "committee", "community" if street else "rural",
                           county_code, *_term(rng, today, 5, rng.random() < 0.05), division=division,
                           unit=township)
            specs.append(spec)
            townships.append((spec, division, weight * rng.uniform(0.3, 1.7) / len(names)))
    weights = [weight for _, _, weight in townships]

    # The 56 townships with the most enterprises have an enterprise party committee.
    parent_in_township = {}
    by_weight = sorted(townships, key=lambda item: -item[2])
    for spec, division, _ in by_weight[: ENTERPRISE_ORG_COUNTS["township_committees"]]:
        committee = enterprise_org(spec.code + "-QW", "中共{}{}非公有制企业委员会".format(counties[division], spec.unit),
                                   "committee", spec.code, division)
        parent_in_township[spec.code] = committee.code

    branches = []  # every enterprise branch (members register there)

    def branch(code, parent, division, joint_of=None):
        if joint_of:
            industry = rng.choice(QUANZHOU_INDUSTRIES.get(division, QUANZHOU_DEFAULT_INDUSTRIES))
            enterprises = [company(division, counties[division]) for _ in range(joint_of)]
            name = "{}{}企业联合党支部（{}）".format(counties[division], industry, code.rsplit("-", 1)[-1])
        else:
            enterprises = [company(division, counties[division])]
            name = "中共{}支部委员会".format(enterprises[0][0])
        spec = enterprise_org(code, name, "branch", parent, division, enterprises)
        branches.append(spec)
        return spec

    # Large enterprises: a party committee under the county's working committee, branches by workshop.
    large_counts = {}
    for number in range(ENTERPRISE_ORG_COUNTS["large"]):
        division = _weighted_choice(rng, [c[0] for c in QUANZHOU_COUNTIES], [c[2] for c in QUANZHOU_COUNTIES])
        large_counts[division] = large_counts.get(division, 0) + 1
        code = "QZ-{}-FG-E{:02d}".format(division, large_counts[division])
        name, credit = company(division, counties[division])
        committee = enterprise_org(code, "中共{}委员会".format(name), "committee", "QZ-{}-FG".format(division),
                                   division, [(name, credit)])
        for index in range(rng.randint(3, 6)):
            spec = enterprise_org("{}-B{:02d}".format(code, index + 1),
                                  "{}第{}党支部".format(name, CHINESE_ORDINALS[index]), "branch", committee.code,
                                  division, [(name, credit)])
            branches.append(spec)

    general_counts, branch_counts = {}, {}
    for _ in range(ENTERPRISE_ORG_COUNTS["general"]):
        township, division, _ = _weighted_choice(rng, townships, weights)
        general_counts[township.code] = general_counts.get(township.code, 0) + 1
        code = "{}-G{:02d}".format(township.code, general_counts[township.code])
        name, credit = company(division, counties[division])
        general = enterprise_org(code, "中共{}总支部委员会".format(name), "general_branch",
                                 parent_in_township.get(township.code, township.code), division, [(name, credit)])
        for index in range(rng.randint(2, 4)):
            spec = enterprise_org("{}-B{:02d}".format(code, index + 1),
                                  "{}第{}党支部".format(name, CHINESE_ORDINALS[index]), "branch", general.code,
                                  division, [(name, credit)])
            branches.append(spec)

    remaining = QUANZHOU_ENTERPRISE_ORGS - len(enterprise_specs)
    for _ in range(remaining):
        township, division, _ = _weighted_choice(rng, townships, weights)
        branch_counts[township.code] = branch_counts.get(township.code, 0) + 1
        code = "{}-B{:03d}".format(township.code, branch_counts[township.code])
        # A quarter are joint branches of several small enterprises (联建).
        branch(code, parent_in_township.get(township.code, township.code), division,
               joint_of=rng.randint(2, 6) if rng.random() < 0.25 else None)
    return specs + enterprise_specs, branches


def fuzhou_organizations(today):
    rng = random.Random(SEED + 3)
    specs = [OrgSpec("FZ", "中共福州市委员会", "committee", "organ", None, *_term(rng, today, 5, False))]
    streets = []
    for division, district, names in FUZHOU_DISTRICTS:
        code = "FZ-" + division
        specs.append(OrgSpec(code, "中共福州市{}委员会".format(district), "committee", "community", "FZ",
                             *_term(rng, today, 5, False), division=division))
        for number, street in enumerate(names, start=1):
            spec = OrgSpec("{}-S{:02d}".format(code, number), "中共{}{}工作委员会".format(district, street),
                           "working_committee", "community", code, *_term(rng, today, 5, False),
                           division=division, unit=street)
            specs.append(spec)
            streets.append(spec)
    per_street = _spread(rng, FUZHOU_COMMUNITIES, len(streets), minimum=5, maximum=13)
    member_orgs = []
    used = set()
    for street, count in zip(streets, per_street):
        for number in range(1, count + 1):
            while True:
                word = rng.choice(COMMUNITY_WORDS) + rng.choice(COMMUNITY_WORDS)
                if word[0] != word[1] and (street.code, word) not in used:
                    used.add((street.code, word))
                    break
            community = word + "社区"
            roll = rng.random()
            kind = "committee" if roll < 0.2 else "general_branch" if roll < 0.5 else "branch"
            suffix = {"committee": "委员会", "general_branch": "总支部委员会", "branch": "支部委员会"}[kind]
            code = "{}-C{:02d}".format(street.code, number)
            spec = OrgSpec(code, "中共{}{}{}".format(street.unit, community, suffix), kind, "community", street.code,
                           *_term(rng, today, 3 if kind == "branch" else 5, rng.random() < 0.02),
                           division=street.division, unit=community)
            specs.append(spec)
            if kind == "branch":
                member_orgs.append(spec)
                continue
            for index, label in enumerate(["第一党支部", "第二党支部", "离退休党支部", "流动党员党支部"]
                                          [: rng.randint(2, 4)], start=1):
                child = OrgSpec("{}-B{}".format(code, index), "{}{}".format(community, label), "branch", "community",
                                code, *_term(rng, today, 3, rng.random() < 0.02), division=street.division,
                                unit=community)
                specs.append(child)
                member_orgs.append(child)
    return specs, member_orgs


def save_organizations(specs):
    """Insert the organizations whose code is missing, parents first; returns {code: id} of all."""
    existing = {
        code: (pk, path)
        for code, pk, path in Organization.objects.filter(code__in=[s.code for s in specs]).values_list(
            "code", "id", "path"
        )
    }
    missing = [spec for spec in specs if spec.code not in existing]
    if missing:
        # The ids (and so the materialized paths) are taken from the table's own sequence in one
        # round trip, as Organization.save() would take them one by one.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Organization._meta.db_table, len(missing)],
            )
            ids = [row[0] for row in cursor.fetchall()]
        rows = []
        for spec, pk in zip(missing, ids):  # specs list parents before children
            parent = existing[spec.parent] if spec.parent else None
            path = (parent[1] if parent else "") + path_step(pk)
            existing[spec.code] = (pk, path)
            rows.append(
                Organization(
                    pk=pk,
                    code=spec.code,
                    name=spec.name,
                    kind=spec.kind,
                    sector=spec.sector,
                    parent_id=parent[0] if parent else None,
                    path=path,
                    term_started_on=spec.term_started_on,
                    term_years=spec.term_years,
                )
            )
        Organization.objects.bulk_create(rows, batch_size=1000)
    return {code: pk for code, (pk, _path) in existing.items()}, len(missing)


# --- Members -------------------------------------------------------------------------------------


class MemberFactory:
    """Deterministic members with valid, unique ID numbers."""

    def __init__(self, seed, today):
        # Faker zh_CN's own name lists (surnames weighted by frequency), drawn with our seeded
        # generator: tens of thousands of names in well under a second, the same on every machine.
        from faker.providers.person.zh_CN import Provider

        self.rng = random.Random(seed)
        self.surnames = list(Provider.last_names)
        self.surname_weights = list(Provider.last_names.values())
        self.given = {"male": list(Provider.first_names_male), "female": list(Provider.first_names_female)}
        self.today = today
        self.used_ids = set()

    def name(self, gender):
        rng, given = self.rng, self.given[gender]
        surname = rng.choices(self.surnames, weights=self.surname_weights)[0]
        first = rng.choice(given)
        if len(first) == 1 and rng.random() < 0.6:
            # Most given names have two characters.
            first += rng.choice(given)[-1]
        return surname + first

    def id_number(self, division, birth_date, gender):
        while True:
            sequence = self.rng.randrange(0, 500) * 2 + (1 if gender == "male" else 0)
            first17 = "{}{:%Y%m%d}{:03d}".format(division, birth_date, sequence)
            value = first17 + id_number_check_character(first17)
            if value not in self.used_ids:
                self.used_ids.add(value)
                return value

    def phone(self):
        return self.rng.choice(MOBILE_PREFIXES) + "{:08d}".format(self.rng.randrange(10**8))

    def member(self, organization_id, divisions, *, formal, min_age=23, max_age=62, retired_share=0.0,
               categories=(), workplace="", enterprise=None, pocket_share=0.0, lost_share=0.01):
        rng, today = self.rng, self.today
        gender = "male" if rng.random() < 0.62 else "female"
        retired = rng.random() < retired_share
        age = rng.randint(61, 86) if retired else rng.randint(min_age, max_age)
        birth = today - datetime.timedelta(days=365 * age + rng.randint(0, 364))
        earliest = birth + datetime.timedelta(days=366 * 18 + 1)
        if formal:
            latest = today - datetime.timedelta(days=400)
            joined = earliest + datetime.timedelta(days=rng.randint(0, max(0, (latest - earliest).days)))
            joined = min(joined, latest)
            full = joined + datetime.timedelta(days=365 + rng.randint(0, 30))
        else:
            # Probationary: joined within the year, a few waiting past it for the branch's decision.
            days = rng.randint(420, 560) if rng.random() < 0.08 else rng.randint(20, 350)
            joined = max(today - datetime.timedelta(days=days), earliest)
            full = None
        roll = rng.random()
        if roll < lost_share:
            activity, since = "lost_contact", today - datetime.timedelta(days=rng.randint(40, 900))
        elif roll < lost_share + 0.012:
            activity, since = "sick_leave", today - datetime.timedelta(days=rng.randint(10, 300))
        elif roll < lost_share + 0.016:
            activity, since = "abroad", today - datetime.timedelta(days=rng.randint(30, 700))
        else:
            activity, since = "normal", full or joined
        member_categories = list(categories)
        if retired:
            member_categories = ["retired"] + [c for c in member_categories if c not in ("enterprise", "leading_cadre")]
        # A dict, not a Member: most of a second run is skipping members that already exist.
        return dict(
            name=self.name(gender),
            gender=gender,
            birth_date=birth,
            id_number=self.id_number(rng.choice(divisions), birth, gender),
            phone=None if rng.random() < 0.015 else self.phone(),
            organization_id=organization_id,
            status="formal" if formal else "probationary",
            joined_on=joined,
            full_member_on=full,
            categories=member_categories,
            activity_status=activity,
            activity_status_since=since,
            enterprise=enterprise,
            workplace=workplace,
            is_pocket=rng.random() < pocket_share,
        )


def _statuses(rng, total, formal):
    statuses = [True] * formal + [False] * (total - formal)
    rng.shuffle(statuses)
    return statuses


def zhangzhou_members(factory, specs, ids):
    branches = [spec for spec in specs if spec.kind == "branch"]
    sizes = _spread(factory.rng, ZHANGZHOU_MEMBERS, len(branches), minimum=5, maximum=60)
    statuses = iter(_statuses(factory.rng, ZHANGZHOU_MEMBERS, ZHANGZHOU_FORMAL))
    for spec, size in zip(branches, sizes):
        retirees = "离退休" in spec.name
        for _ in range(size):
            cadre = factory.rng.random() < 0.12
            yield factory.member(
                ids[spec.code], ZHANGZHOU_ID_DIVISIONS, formal=next(statuses),
                retired_share=0.95 if retirees else 0.02,
                categories=["leading_cadre"] if cadre else [], workplace=spec.unit, lost_share=0.004,
            )


def quanzhou_members(factory, branches, ids):
    sizes = _spread(factory.rng, QUANZHOU_MEMBERS, len(branches), minimum=3, maximum=80)
    rng = factory.rng
    for spec, size in zip(branches, sizes):
        for _ in range(size):
            name, credit = rng.choice(spec.enterprises)
            migrant = rng.random() < 0.3
            yield factory.member(
                ids[spec.code], MIGRANT_ID_DIVISIONS if migrant else [spec.division, spec.division[:4] + "00"],
                formal=rng.random() < 0.96, min_age=21, max_age=58,
                categories=["enterprise", "mobile"] if migrant else ["enterprise"],
                workplace=name, enterprise=credit, pocket_share=0.02 if migrant else 0.005,
                lost_share=0.03 if migrant else 0.008,
            )


def fuzhou_members(factory, member_orgs, ids):
    rng = factory.rng
    sizes = _spread(rng, FUZHOU_MEMBERS, len(member_orgs), minimum=3, maximum=90)
    for spec, size in zip(member_orgs, sizes):
        retirees, mobile = "离退休" in spec.name, "流动" in spec.name
        for _ in range(size):
            extra = ["mobile"] if mobile else ["laid_off"] if rng.random() < 0.05 else []
            yield factory.member(
                ids[spec.code], FUZHOU_ID_DIVISIONS if not mobile else MIGRANT_ID_DIVISIONS,
                formal=rng.random() < 0.97, retired_share=0.9 if retirees else 0.3,
                categories=["community"] + extra, workplace="" if rng.random() < 0.5 else rng.choice(
                    ["福州市{}".format(w) for w in ("第一医院", "供电公司", "自来水公司", "公交公司", "第三中学")]
                ) if not retirees else "",
                pocket_share=0.12 if mobile else 0.015, lost_share=0.02 if mobile else 0.006,
            )


def copy_instances(model, instances):
    """Insert unsaved ``instances`` with PostgreSQL's COPY: about three times faster than bulk_create.

    Every concrete column is sent (model defaults filled in by the constructor), so a field added
    to the model later is loaded too; database triggers (the audit history) fire as for INSERT.
    """
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]
    stamped = [f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    sql = "COPY {} ({}) FROM STDIN".format(
        connection.ops.quote_name(model._meta.db_table), ", ".join(connection.ops.quote_name(f.column) for f in fields)
    )
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for instance in instances:
            for attname in stamped:
                setattr(instance, attname, now)
            copy.write_row([f.get_db_prep_save(getattr(instance, f.attname), connection) for f in fields])
            count += 1
    return count


def save_members(members, existing_ids):
    return copy_instances(Member, (Member(**values) for values in members if values["id_number"] not in existing_ids))


# --- Users ---------------------------------------------------------------------------------------


def save_users(ids):
    from portal.models import RoleAssignment

    User = get_user_model()
    created = 0
    for username, password, role, code, description in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, is_staff=role == "city_admin", is_superuser=role == "city_admin")
            user.set_password(password)
            user.save()
            created += 1
        RoleAssignment.objects.get_or_create(user=user, role=role, organization_id=ids[code] if code else None)
    return created


def load(stdout):
    """The demo step: the tree, the members and the demo users of the three cities."""
    started = time.monotonic()
    today = timezone.localdate()
    zhangzhou = zhangzhou_organizations(today)
    quanzhou, quanzhou_branches = quanzhou_organizations(today)
    fuzhou, fuzhou_member_orgs = fuzhou_organizations(today)
    ids, new_orgs = save_organizations(zhangzhou + quanzhou + fuzhou)
    stdout.write("  organizations: {} created, {} in the demo".format(new_orgs, len(ids)))

    existing_ids = set(Member.objects.values_list("id_number", flat=True))
    factory = MemberFactory(SEED + 10, today)
    created = save_members(zhangzhou_members(factory, zhangzhou, ids), existing_ids)
    created += save_members(quanzhou_members(factory, quanzhou_branches, ids), existing_ids)
    created += save_members(fuzhou_members(factory, fuzhou_member_orgs, ids), existing_ids)
    stdout.write("  members: {} created".format(created))
    stdout.write("  users: {} created".format(save_users(ids)))
    stdout.write("  ({:.1f} s)".format(time.monotonic() - started))
