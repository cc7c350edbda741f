"""Write the demo district's spreadsheets (run once by a developer; the outputs are committed).

    .venv/bin/python demo/make_demo.py

Everything is invented from a fixed seed: common surnames and given-name
characters drawn at random, school names that belong to no real school, phone
numbers in blocks no carrier hands out in this order. The files have the same
columns as the real cases in ../shared/cases/, so `manage.py load_demo` loads
them through the importer that administrators use.
"""

import csv
import datetime as dt
import random
from pathlib import Path

import openpyxl

OUT = Path(__file__).resolve().parent
SEED = 20260105
# The reference fortnight; load_demo shifts it so that this Monday becomes the current one.
REFERENCE_MONDAY = dt.date(2026, 1, 5)
TEACHERS = 150
STUDENTS = 3000

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = (
    "子涵欣怡梓萱一诺浩宇宇轩思远雨桐若曦俊杰博文嘉怡佳琪晨阳明轩诗涵梦瑶皓然"
    "天佑昊天语嫣紫萱可馨雅静文博志强建华丽娟秀英海燕春梅国栋振宇晓东红霞"
    "家豪子墨沐阳铭泽书瑶心怡安然星辰乐瑶景行清妍思琪宁远晴川芷若逸飞"
)

# (code, name, stage, region). Codes keep their region's prefix (320106 for the district,
# 420200 黄石市, 321300 宿迁市) and are 7xx after it: 70x junior, 71x senior, 72x primary, 73x
# kindergarten. No file in ../shared/cases/ uses a 7xx code (they use 0xx–4xx), so importing a
# case on the demo adds its schools instead of renaming the demo's.
SCHOOLS = [
    ("320106701", "南京市鼓楼区梧桐初级中学", "初中", "鼓楼区"),
    ("320106702", "南京市鼓楼区清溪初级中学", "初中", "鼓楼区"),
    ("320106703", "南京市鼓楼区云帆初级中学", "初中", "鼓楼区"),
    ("320106704", "南京市鼓楼区明德初级中学", "初中", "鼓楼区"),
    ("320106711", "南京市鼓楼区梧桐高级中学", "高中", "鼓楼区"),
    ("320106712", "南京市鼓楼区致远高级中学", "高中", "鼓楼区"),
    ("320106713", "南京市鼓楼区博雅高级中学", "高中", "鼓楼区"),
    ("320106721", "南京市鼓楼区青梅实验小学", "小学", "鼓楼区"),
    ("320106722", "南京市鼓楼区星河小学", "小学", "鼓楼区"),
    ("320106723", "南京市鼓楼区桃源小学", "小学", "鼓楼区"),
    ("320106724", "南京市鼓楼区竹韵小学", "小学", "鼓楼区"),
    ("320106725", "南京市鼓楼区嘉树小学", "小学", "鼓楼区"),
    ("320106731", "南京市鼓楼区小橡树幼儿园", "幼儿园", "鼓楼区"),
    ("320106732", "南京市鼓楼区彩虹桥幼儿园", "幼儿园", "鼓楼区"),
    ("320106733", "南京市鼓楼区向日葵幼儿园", "幼儿园", "鼓楼区"),
    ("320106734", "南京市鼓楼区小河马幼儿园", "幼儿园", "鼓楼区"),
    ("320106735", "南京市鼓楼区春芽幼儿园", "幼儿园", "鼓楼区"),
    ("420200701", "黄石市磁湖初级中学", "初中", "黄石市"),
    ("420200721", "黄石市东楚小学", "小学", "黄石市"),
    ("321300701", "宿迁市运河初级中学", "初中", "宿迁市"),
]

GRADES = {
    "幼儿园": ["幼儿园小班", "幼儿园中班", "幼儿园大班"],
    "小学": ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级"],
    "初中": ["七年级", "八年级", "九年级"],
    "高中": ["高一", "高二", "高三"],
}
LEVEL = {name: level for stage in GRADES.values() for level, name in enumerate(stage)}
GRADE_LEVEL = {
    **{g: i - 2 for i, g in enumerate(GRADES["幼儿园"])},
    **{g: i + 1 for i, g in enumerate(GRADES["小学"])},
    **{g: i + 7 for i, g in enumerate(GRADES["初中"])},
    **{g: i + 10 for i, g in enumerate(GRADES["高中"])},
}
SUBJECTS = {
    "幼儿园": ["科学", "音乐", "美术", "体育与健康"],
    "小学": ["语文", "数学", "英语", "科学", "道德与法治", "音乐", "美术", "体育与健康"],
    "初中": ["语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "道德与法治"],
    "高中": ["语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "思想政治"],
}
# How many teachers each school gets (150 in all) and students per school (3,000 in all).
TEACHERS_PER_STAGE = {"幼儿园": 3, "小学": 9, "初中": 12, "高中": 12}
PARTNER_TEACHERS = 2

# Lesson topics by stage and subject.
TOPICS = {
    "幼儿园": {
        "科学": ["小种子发芽啦", "有趣的影子", "认识四季"],
        "音乐": ["儿歌《小星星》", "拍手歌", "节奏小游戏"],
        "美术": ["手指点画", "彩泥小动物", "树叶拼贴"],
        "体育与健康": ["小兔跳跳", "平衡小能手", "亲子体操"],
    },
    "小学": {
        "语文": ["古诗二首", "《小英雄雨来》", "习作：我的心爱之物", "成语故事", "阅读：寓言两则"],
        "数学": ["分数的意义", "小数乘法", "长方体的体积", "简易方程", "统计与可能性"],
        "英语": ["Unit 3 My friends", "Let's talk", "Phonics 字母组合", "Story time"],
        "科学": ["水的三态变化", "植物的一生", "简单电路", "认识天气"],
        "道德与法治": ["我们的班规", "让家更美好", "公共生活靠大家"],
        "音乐": ["歌曲《茉莉花》", "认识民族乐器", "节奏游戏"],
        "美术": ["色彩的冷暖", "剪纸艺术", "我的家乡写生"],
        "体育与健康": ["跳绳", "广播体操", "居家体能练习"],
    },
    "初中": {
        "语文": ["《春》朗读与赏析", "文言文阅读", "记叙文写作指导", "名著导读", "说明文阅读"],
        "数学": ["一元二次方程", "函数的图像", "三角形全等", "概率初步", "二次函数"],
        "英语": ["Unit 5 Reading", "听说训练", "语法：一般过去时", "写作：我的假期"],
        "物理": ["光的折射", "欧姆定律", "牛顿第一定律", "浮力"],
        "化学": ["酸和碱", "化学方程式", "金属的性质", "溶液的配制"],
        "生物": ["细胞的结构", "光合作用", "生态系统"],
        "历史": ["丝绸之路", "唐朝的繁荣", "近代化的探索"],
        "地理": ["地球的运动", "中国的河流", "气候与天气"],
        "道德与法治": ["做守法的公民", "友谊的天空", "走进社会生活"],
    },
    "高中": {
        "语文": ["《赤壁赋》研读", "议论文写作", "古诗词鉴赏", "整本书阅读"],
        "数学": ["数列复习", "导数的应用", "圆锥曲线", "空间向量", "概率与统计"],
        "英语": ["Reading: Cultural Heritage", "读后续写", "语法填空专练", "听力策略"],
        "物理": ["电磁感应", "动量守恒", "机械振动", "万有引力"],
        "化学": ["化学反应速率", "有机物的结构", "电化学基础", "物质的量"],
        "生物": ["遗传与变异", "细胞呼吸", "稳态与调节"],
        "历史": ["工业革命", "中华文明的起源", "近代中国的转型"],
        "地理": ["城市与交通", "大气环流", "区域发展"],
        "思想政治": ["经济生活", "文化传承与创新", "哲学与人生"],
    },
}
LECTURES = [
    ("初中", "九年级", "数学", "中考专题：二次函数综合"),
    ("高中", "高三", "物理", "高考专题：电磁感应综合"),
    ("初中", "八年级", "语文", "名家讲坛：读《红楼梦》"),
    ("高中", "高二", "历史", "名家讲坛：丝绸之路上的城市"),
    ("小学", "五年级", "科学", "科学讲坛：月亮为什么有圆缺"),
    ("高中", "高一", "生物", "科学讲坛：身边的微生物"),
]
# The parenting school (宝爸宝妈学堂): every evening, 30 minutes for the parents of each
# preschool age group, a topic for that age (one a weekday, the same each week).
PARENTING = {
    "幼儿园小班": [
        "入园适应：缓解分离焦虑",
        "自己吃饭：培养进餐好习惯",
        "亲子共读：挑一本合适的绘本",
        "情绪安抚：孩子哭闹时怎么办",
        "规律作息：早睡早起的小习惯",
        "如厕训练：耐心和鼓励",
        "玩中学：和孩子一起搭积木",
    ],
    "幼儿园中班": [
        "绘本共读：睡前十分钟",
        "同伴交往：学会分享和轮流",
        "专注力：从一个小游戏开始",
        "动手游戏：在家做手工",
        "倾听孩子：说说幼儿园的一天",
        "规则意识：和孩子一起定家规",
        "亲近自然：周末去户外",
    ],
    "幼儿园大班": [
        "幼小衔接：帮孩子做好入学准备",
        "亲子游戏：纸杯叠叠乐",
        "时间观念：和孩子一起认识钟表",
        "前书写：正确的握笔姿势",
        "任务意识：自己整理书包",
        "数学启蒙：生活中的数一数",
        "自信表达：鼓励孩子大胆说",
    ],
}
PARENTING_SLOTS = [
    ("幼儿园小班", "19:30", "20:00"),
    ("幼儿园中班", "20:00", "20:30"),
    ("幼儿园大班", "20:30", "21:00"),
]
# Weekday periods: four in the morning (after the Monday ceremony, until 11:30), three in the afternoon (14:00–16:30).
PERIODS = [
    ("08:10", "08:50"),
    ("09:00", "09:40"),
    ("09:55", "10:35"),
    ("10:50", "11:30"),
    ("14:00", "14:40"),
    ("14:50", "15:30"),
    ("15:50", "16:30"),
]
# (stage, grade) tracks with a full day of classes on every weekday.
TRACKS = [
    ("小学", "四年级"),
    ("小学", "六年级"),
    ("初中", "七年级"),
    ("初中", "九年级"),
    ("高中", "高三"),
]
KINDERGARTEN_SLOTS = [("幼儿园中班", "09:30", "10:00"), ("幼儿园大班", "10:30", "11:00")]


class Phones:
    """Unique invented 11-digit mobile numbers."""

    def __init__(self, rng):
        self.rng = rng
        self.used = set()

    def new(self, prefix):
        while True:
            number = prefix + "".join(self.rng.choice("0123456789") for _ in range(8))
            if number not in self.used:
                self.used.add(number)
                return number


def person_name(rng, surname=None):
    surname = surname or rng.choice(SURNAMES)
    length = 1 if rng.random() < 0.3 else 2
    return surname + "".join(rng.choice(GIVEN) for _ in range(length))


def write_xlsx(path, headers, rows, *, date_columns=(), time_columns=()):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = path.stem
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    for column in date_columns:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = "yyyy-mm-dd"
    for column in time_columns:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = "hh:mm"
    book.save(path)


def make_schools():
    with open(OUT / "schools.csv", "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(["学校代码", "学校名称", "学段", "所属区域"])
        writer.writerows(SCHOOLS)


def make_teachers(rng, phones):
    teachers = []  # (number, name, school code, stage, subjects, grades)
    number = 1001
    for code, _name, stage, region in SCHOOLS:
        count = TEACHERS_PER_STAGE[stage] if region == "鼓楼区" else PARTNER_TEACHERS
        subjects = SUBJECTS[stage]
        for index in range(count):
            first = subjects[index % len(subjects)]
            taught = [first]
            if stage in {"小学", "幼儿园"} and rng.random() < 0.4:
                taught.append(rng.choice([s for s in subjects if s != first]))
            grades = GRADES[stage]
            start = rng.randrange(len(grades))
            span = grades[start : start + rng.choice([2, 3])] or grades[-2:]
            teachers.append((f"T{number}", person_name(rng), code, stage, taught, span))
            number += 1
    assert len(teachers) == TEACHERS, len(teachers)
    rows = []
    for number, name, code, _stage, taught, grades in teachers:
        hired = dt.date(rng.randint(1995, 2024), 9, 1)
        rows.append(
            [number, name, code, "、".join(taught), ",".join(grades), phones.new("139"), hired]
        )
    write_xlsx(
        OUT / "teachers.xlsx",
        ["工号", "姓名", "学校代码", "任教学科", "任教年级", "手机", "入职日期"],
        rows,
        date_columns=[7],
    )
    return teachers


def birth_date(rng, grade):
    # A child starts 一年级 in the September after turning six; the school year began in 2025.
    year = 2025 - 6 - (GRADE_LEVEL[grade] - 1) - 1
    first = dt.date(year, 9, 1)
    return first + dt.timedelta(days=rng.randrange(365))


def make_students(rng, phones):
    home = [s for s in SCHOOLS if s[3] == "鼓楼区"]
    partner = [s for s in SCHOOLS if s[3] != "鼓楼区"]
    # Partner schools send a few students each; the rest are spread over the home district.
    quota = {s[0]: 20 for s in partner}
    remaining = STUDENTS - sum(quota.values())
    weights = {"幼儿园": 1, "小学": 3, "初中": 3, "高中": 3}
    total_weight = sum(weights[s[2]] for s in home)
    for school in home:
        quota[school[0]] = remaining * weights[school[2]] // total_weight
    quota[home[0][0]] += STUDENTS - sum(quota.values())

    students = []
    sequence = 0
    for code, _name, stage, _region in SCHOOLS:
        grades = GRADES[stage]
        for index in range(quota[code]):
            sequence += 1
            grade = grades[index % len(grades)]
            homeroom = 1 + (index // len(grades)) % 4
            gender = rng.choice("男女")
            surname = rng.choice(SURNAMES)
            students.append(
                {
                    "number": f"{26000000 + sequence}",
                    "name": person_name(rng, surname),
                    "gender": gender,
                    "birth": birth_date(rng, grade),
                    "school": code,
                    "grade": grade,
                    "homeroom": homeroom,
                    "surname": surname,
                }
            )
    # Parents: one each, except that some families have two children at our schools.
    # A sibling pair shares the parent's name and phone (the parent logs in once).
    order = list(range(len(students)))
    rng.shuffle(order)
    parent_of = {}
    pairs = 0
    for first, second in zip(order[0::2], order[1::2], strict=False):
        if pairs < 120 and students[first]["school"] != students[second]["school"]:
            students[second]["surname"] = students[first]["surname"]
            students[second]["name"] = person_name(rng, students[first]["surname"])
            parent = (person_name(rng, students[first]["surname"]), phones.new("138"))
            parent_of[first] = parent_of[second] = parent
            pairs += 1
    for index, student in enumerate(students):
        if index not in parent_of:
            parent_of[index] = (person_name(rng, student["surname"]), phones.new("137"))
    rows = []
    for index, s in enumerate(students):
        parent_name, parent_phone = parent_of[index]
        rows.append(
            [
                s["number"],
                s["name"],
                s["gender"],
                s["birth"],
                s["school"],
                s["grade"],
                s["homeroom"],
                parent_name,
                parent_phone,
            ]
        )
    write_xlsx(
        OUT / "students.xlsx",
        ["学号", "姓名", "性别", "出生日期", "学校代码", "年级", "班级", "家长姓名", "家长手机"],
        rows,
        date_columns=[4],
    )
    return len(students), len({p[1] for p in parent_of.values()})


def hhmm(value):
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


class Scheduler:
    """Picks a teacher of the right subject and stage who is free at a given start."""

    def __init__(self, rng, teachers):
        self.rng = rng
        self.busy = set()  # (teacher number, date, start)
        self.by_stage = {}
        for number, _name, code, stage, subjects, grades in teachers:
            if not code.startswith("320106"):
                continue  # partner-city teachers do not teach on the district's timetable
            self.by_stage.setdefault(stage, []).append((number, subjects, grades))

    def pick(self, stage, grade, subject, day, start):
        pool = self.by_stage[stage]
        if subject is None:  # a parenting session: a teacher of that age group
            fits = [t for t in pool if grade in t[2]]
        else:
            fits = [t for t in pool if subject in t[1] and grade in t[2]]
        fits = fits or [t for t in pool if subject in t[1]] or pool
        self.rng.shuffle(fits)
        for number, _subjects, _grades in fits:
            if (number, day, start) not in self.busy:
                self.busy.add((number, day, start))
                return number, subject if subject in _subjects else _subjects[0]
        raise RuntimeError(f"no free teacher for {stage} {subject} at {day} {start}")


def make_timetable(rng, teachers):
    scheduler = Scheduler(rng, teachers)
    # Parenting teachers come from a generator of their own: changing the parenting
    # sessions leaves the classes' teachers as they are.
    parenting_scheduler = Scheduler(random.Random(SEED + 1), teachers)
    parenting_scheduler.busy = scheduler.busy
    rows = []

    def add(day, start, end, stage, grade, subject, title, kind):
        if kind == "活动":
            teacher = ""
        else:
            picker = parenting_scheduler if kind == "育儿" else scheduler
            teacher, subject_taught = picker.pick(stage, grade, subject, day, start)
            if subject and subject_taught != subject:
                subject = subject_taught
        rows.append(
            [day, hhmm(start), hhmm(end), stage, grade, subject or None, title, teacher, kind]
        )

    lecture_index = 0
    for offset in range(14):
        day = REFERENCE_MONDAY + dt.timedelta(days=offset)
        if day.weekday() == 0:
            add(day, "07:50", "08:10", "初中", "七年级,八年级,九年级", None, "升旗仪式", "活动")
        if day.weekday() < 5:
            for stage, grade in TRACKS:
                subjects = list(TOPICS[stage])
                rng.shuffle(subjects)
                for period, (start, end) in enumerate(PERIODS):
                    subject = subjects[period % len(subjects)]
                    topics = TOPICS[stage][subject]
                    topic = topics[(offset + period) % len(topics)]
                    add(day, start, end, stage, grade, subject, topic, "课堂")
            for grade, start, end in KINDERGARTEN_SLOTS:
                subject = rng.choice(SUBJECTS["幼儿园"])
                topic = rng.choice(TOPICS["幼儿园"][subject])
                add(day, start, end, "幼儿园", grade, subject, topic, "课堂")
            stage, grade, subject, title = LECTURES[lecture_index % len(LECTURES)]
            lecture_index += 1
            add(day, "19:00", "20:00", stage, grade, subject, title, "讲坛")
        else:
            for start, end in [("09:00", "10:00"), ("15:00", "16:00")]:
                stage, grade, subject, title = LECTURES[lecture_index % len(LECTURES)]
                lecture_index += 1
                add(day, start, end, stage, grade, subject, title, "讲坛")
        for grade, start, end in PARENTING_SLOTS:
            topics = PARENTING[grade]
            add(day, start, end, "幼儿园", grade, None, topics[offset % len(topics)], "育儿")
    write_xlsx(
        OUT / "timetable_template.xlsx",
        ["日期", "开始时间", "结束时间", "学段", "年级", "学科", "课题", "授课教师工号", "类型"],
        rows,
        date_columns=[1],
        time_columns=[2, 3],
    )
    return len(rows)


def main():
    rng = random.Random(SEED)
    phones = Phones(rng)
    make_schools()
    teachers = make_teachers(rng, phones)
    students, parents = make_students(rng, phones)
    sessions = make_timetable(rng, teachers)
    print(f"schools: {len(SCHOOLS)}")
    print(f"teachers: {len(teachers)}")
    print(f"students: {students}")
    print(f"parents: {parents}")
    print(f"sessions: {sessions}")


if __name__ == "__main__":
    main()
