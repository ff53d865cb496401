"""Static text pools of the sandbox catalog: categories, brands, words.

Latin text only uses characters that Windows-1252 can encode (the encoding of
NA/EU flat files); Japanese text only uses characters that Shift_JIS and cp932
decode identically (no wave dash, minus sign, yen/backslash or NEC extras), so
a client may decode Japanese documents with either codec.
"""

from __future__ import annotations

from typing import NamedTuple


class Brand(NamedTuple):
    name: str          # Latin name (all marketplaces but JP)
    name_jp: str       # katakana name (JP marketplace)
    code: str          # 5-character vendor brand code
    manufacturer: str


class Category(NamedTuple):
    key: str
    sku_code: str
    product_type: str
    item_type_keyword: str
    display_group: str
    display_group_name: str
    # Browse path, root first: (classificationId, displayName).
    browse: tuple[tuple[str, str], ...]
    brands: tuple[Brand, ...]
    variation: str | None      # "SIZE", "COLOR", "SIZE/COLOR" or None
    price_usd: tuple[int, int]  # shelf price range in cents
    demand: tuple[float, float]  # mean units/day range (per ASIN)
    dims_in: tuple[float, float, float]  # typical item h, l, w in inches
    weight_lb: float
    product_category: tuple[str, str]     # vendorDetails (value, displayName)
    product_subcategory: tuple[str, str]
    product_group: str


_GROCERY = (
    Brand("Café Brûlée", "カフェ・ブリュレ", "CAFBR", "Café Brûlée Roasting Co."),
    Brand("Señor Tostado", "セニョール・トスタード", "SENTO", "Tostadores Señor S.A."),
    Brand("Kaffeerösterei Müller", "ミュラー珈琲", "KRMUL", "Müller Kaffee GmbH"),
    Brand("Nørd Roasters", "ノルド・ロースターズ", "NORDR", "Nørd Roasters ApS"),
)
_APPLIANCES = (
    Brand("Élan Cuisine", "エラン・キュイジーヌ", "ELANC", "Élan Cuisine SAS"),
    Brand("Bräuwerk", "ブロイヴェルク", "BRAUW", "Bräuwerk Haushaltsgeräte AG"),
    Brand("Øster & Søn", "エスター＆ソン", "OSTSN", "Øster & Søn A/S"),
    Brand("HomeBarista", "ホームバリスタ", "HOMBA", "HomeBarista Inc."),
)
_DRINKWARE = (
    Brand("Crème Atelier", "クレーム・アトリエ", "CREMA", "Crème Atelier SARL"),
    Brand("Fjäll Outdoor", "フィエル・アウトドア", "FJALL", "Fjäll Outdoor AB"),
    Brand("Maison Lumière", "メゾン・ルミエール", "MAILU", "Maison Lumière"),
    Brand("TrailMate", "トレイルメイト", "TRAIL", "TrailMate Gear LLC"),
)
_PUBLISHERS = (
    Brand("Éditions Arabica", "エディシオン・アラビカ", "EDARA", "Éditions Arabica"),
    Brand("Quarto Café Press", "クアルト・カフェ・プレス", "QUART", "Quarto Café Press Ltd."),
    Brand("Zoë & Co. Publishing", "ゾーイ出版", "ZOECO", "Zoë & Co. Publishing"),
)
_HEALTH = (
    Brand("Erboristeria Dolcevita", "ドルチェヴィータ", "ERBDV", "Erboristeria Dolcevita S.r.l."),
    Brand("Kräuterhof", "クロイターホーフ", "KRAUT", "Kräuterhof GmbH"),
    Brand("Naturé Vita", "ナチュレ・ヴィータ", "NATVI", "Naturé Vita S.p.A."),
)

_KITCHEN = (("1055398", "Home & Kitchen"), ("284507", "Kitchen & Dining"))
_COFFEE_TEA = _KITCHEN + (("915194", "Coffee, Tea & Espresso"),)
_GROCERY_PATH = (("16310101", "Grocery & Gourmet Food"), ("16310231", "Beverages"),
                 ("16318031", "Coffee, Tea & Cocoa"), ("16318401", "Coffee"))

#: Ten categories, assigned round-robin (catalog index % 10).  The first seven
#: have "Coffee" in every title, so the keyword "coffee" matches exactly the
#: items whose index % 10 < 7 (70 % of the catalog); "tea" matches 7 and 8.
CATEGORIES: tuple[Category, ...] = (
    Category("beans", "BEAN", "COFFEE", "coffee-beans", "grocery_display_on_website", "Grocery",
             _GROCERY_PATH + (("16318511", "Whole Coffee Beans"),), _GROCERY, "SIZE",
             (1199, 2899), (4.0, 40.0), (9.0, 3.5, 5.0), 1.1,
             ("10500100", "Coffee"), ("10500110", "Whole Bean Coffee"), "Grocery"),
    Category("ground", "GRND", "COFFEE", "ground-coffee", "grocery_display_on_website", "Grocery",
             _GROCERY_PATH + (("16318521", "Ground Coffee"),), _GROCERY, None,
             (999, 2499), (3.0, 30.0), (8.0, 3.0, 4.5), 0.9,
             ("10500100", "Coffee"), ("10500120", "Ground Coffee"), "Grocery"),
    Category("maker", "BREW", "COFFEE_MAKER", "drip-coffee-machines", "kitchen_display_on_website", "Kitchen",
             _COFFEE_TEA + (("289745", "Coffee Makers"), ("289748", "Drip Coffee Machines")), _APPLIANCES, None,
             (3499, 17999), (0.5, 8.0), (14.0, 8.0, 10.0), 7.5,
             ("20300100", "Small Appliances"), ("20300140", "Coffee Makers"), "Kitchen"),
    Category("grinder", "MILL", "COFFEE_GRINDER", "burr-coffee-grinders", "kitchen_display_on_website", "Kitchen",
             _COFFEE_TEA + (("289750", "Coffee Grinders"), ("13838451", "Burr Grinders")), _APPLIANCES, None,
             (2999, 14999), (0.5, 6.0), (11.0, 5.0, 7.0), 4.2,
             ("20300100", "Small Appliances"), ("20300150", "Coffee Grinders"), "Kitchen"),
    Category("mug", "MUG", "DRINKING_CUP", "coffee-mugs", "kitchen_display_on_website", "Kitchen",
             _KITCHEN + (("13162311", "Dining & Entertaining"), ("367141011", "Cups, Mugs & Saucers"),
                         ("2231404011", "Coffee Cups & Mugs")), _DRINKWARE, "COLOR",
             (899, 2999), (2.0, 25.0), (4.0, 5.0, 3.5), 0.8,
             ("20400100", "Drinkware"), ("20400110", "Mugs"), "Kitchen"),
    Category("filters", "FILT", "COFFEE_FILTER", "coffee-filters", "kitchen_display_on_website", "Kitchen",
             _COFFEE_TEA + (("289754", "Coffee Machine Accessories"), ("289756", "Coffee Filters")), _DRINKWARE, None,
             (499, 1499), (3.0, 30.0), (6.0, 4.0, 4.0), 0.4,
             ("20300200", "Coffee Accessories"), ("20300210", "Coffee Filters"), "Kitchen"),
    Category("book", "BOOK", "ABIS_BOOK", "coffee-books", "book_display_on_website", "Books",
             (("283155", "Books"), ("6", "Cookbooks, Food & Wine"), ("4208", "Beverages & Wine"),
              ("4211", "Coffee & Tea")), _PUBLISHERS, None,
             (1499, 3999), (0.5, 6.0), (9.5, 7.5, 1.0), 1.6,
             ("30100100", "Books"), ("30100120", "Cookbooks"), "Book"),
    Category("kettle", "KETL", "KETTLE", "tea-kettles", "kitchen_display_on_website", "Kitchen",
             _COFFEE_TEA + (("289777", "Tea Kettles"),), _APPLIANCES, None,
             (2499, 8999), (0.5, 8.0), (7.0, 11.0, 6.0), 2.1,
             ("20300100", "Small Appliances"), ("20300160", "Kettles"), "Kitchen"),
    Category("herbal", "TISA", "HERBAL_SUPPLEMENT", "herbal-teas", "hpc_display_on_website", "Health & Personal Care",
             (("3760901", "Health & Household"), ("3764441", "Vitamins & Dietary Supplements"),
              ("3765051", "Herbal Supplements")), _HEALTH, None,
             (599, 1999), (1.0, 15.0), (5.5, 3.0, 3.0), 0.3,
             ("40200100", "Health"), ("40200130", "Herbal Teas"), "Health and Beauty"),
    Category("tumbler", "TMBL", "BOTTLE", "travel-tumblers", "kitchen_display_on_website", "Kitchen",
             _KITCHEN + (("2231403011", "Travel & To-Go Drinkware"), ("2231406011", "Travel Tumblers")),
             _DRINKWARE, "SIZE/COLOR",
             (1499, 3999), (1.0, 20.0), (7.5, 3.5, 3.5), 0.9,
             ("20400100", "Drinkware"), ("20400130", "Tumblers"), "Kitchen"),
)

LINES = ("Aurora", "Crème", "Noir", "Déjà Brew", "Señorita", "Naïve", "Über", "Fjord", "Mañana", "Étoile")
LINES_JP = ("オーロラ", "クレーム", "ノワール", "デジャブ", "セニョリータ", "ナイーブ", "ユーバー", "フィヨルド",
            "マニャーナ", "エトワール")
COLORS = (("Matte Black", "マットブラック"), ("Crème", "クリーム"), ("Sage Green", "セージグリーン"),
          ("Terracotta", "テラコッタ"), ("Rosé", "ロゼ"), ("Steel Blue", "スチールブルー"),
          ("Ivory", "アイボリー"), ("Charcoal", "チャコール"))
ROASTS = (("Light", "浅煎り"), ("Medium", "中煎り"), ("Dark", "深煎り"), ("Espresso", "エスプレッソ"))
ORIGINS = (("Colombia", "コロンビア"), ("Ethiopia Yirgacheffe", "エチオピア イルガチェフェ"),
           ("Brazil Santos", "ブラジル サントス"), ("Costa Rica Tarrazú", "コスタリカ タラス"),
           ("Guatemala Antigua", "グアテマラ アンティグア"), ("Sumatra Mandheling", "スマトラ マンデリン"))
BEAN_SIZES = (("250 g", "250g"), ("500 g", "500g"), ("1 kg", "1kg"), ("2.2 lb", "1kg"))
MUG_SIZES = (("12 oz", 350, 4), ("16 oz", 470, 5))
TUMBLER_SIZES = (("16 oz", 470, 7), ("20 oz", 590, 8), ("30 oz", 890, 9))
BOOK_TITLES = (
    ("The Crème de la Crème of Coffee", "From Bean to Café Crème", "珈琲の教科書 豆から一杯まで"),
    ("The Café Society Coffee Companion", "Recipes, Roasts & Rituals", "カフェの珈琲 レシピと焙煎"),
    ("The Naïve Barista's Coffee Handbook", "A Barista’s First Year", "はじめてのバリスタ 珈琲ハンドブック"),
    ("The Complete Coffee Atlas", "Origins, Terroir & Señor Tostado’s Notes", "珈琲アトラス 産地と風味"),
)
AUTHORS = (("Zoë Lindqvist", "リンドクヴィスト ゾーイ"), ("José Álvarez", "アルバレス ホセ"),
           ("Ingrid Søndergaard", "セナゴー イングリッド"), ("François Dubois", "デュボワ フランソワ"),
           ("Anaïs Moreau", "モロー アナイス"))
FEATURES = (
    "Roasted in small batches for a rich, balanced cup",
    "Crème-smooth finish with notes of cocoa and caramel",
    "BPA-free materials – dishwasher safe",
    "Ideal for pour-over, French press and espresso",
    "Fair-trade sourcing from family-owned farms",
    "Backed by a 2-year limited warranty",
)
FEATURES_JP = (
    "少量ずつ丁寧に焙煎", "まろやかな後味", "食洗機対応", "ハンドドリップにも最適", "フェアトレード", "2年保証",
)
DESCRIPTIONS = (
    "",
    "Our best-selling roast – smooth, balanced and rich.",
    '"Best coffee I have had at home" – a happy customer',
    "Gift-ready packaging. Ships in 1-2 business days.",
    "Crème-colored glaze, 12\" wide display box included.",
    "",
)
DESCRIPTIONS_JP = ("", "人気の定番商品です。", "ギフト包装対応。", "", "送料無料", "")
ITEM_NOTES = ("", "", "Box slightly dented", "", "Neu & OVP", "")

# Ship-to addresses per country (city, state/region, postal code).
ADDRESSES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "US": (("Seattle", "WA", "98101"), ("San José", "CA", "95112"), ("Austin", "TX", "78701"),
           ("Brooklyn", "NY", "11201"), ("Coeur d'Alene", "ID", "83814")),
    "CA": (("Montréal", "QC", "H2X 1Y4"), ("Toronto", "ON", "M5V 2T6"), ("Québec", "QC", "G1R 4S9")),
    "MX": (("Ciudad de México", "CDMX", "06700"), ("Mérida", "YUC", "97000")),
    "BR": (("São Paulo", "SP", "01310-100"), ("Florianópolis", "SC", "88010-000")),
    "UK": (("London", "Greater London", "SW1A 1AA"), ("Manchester", "Greater Manchester", "M1 1AE")),
    "IE": (("Dublin", "Co. Dublin", "D02 X285"),),
    "DE": (("München", "Bayern", "80331"), ("Köln", "Nordrhein-Westfalen", "50667"),
           ("Düsseldorf", "Nordrhein-Westfalen", "40213")),
    "FR": (("Besançon", "Doubs", "25000"), ("Paris", "Île-de-France", "75001")),
    "IT": (("Forlì", "FC", "47121"), ("Milano", "MI", "20121")),
    "ES": (("Málaga", "Málaga", "29001"), ("A Coruña", "A Coruña", "15001")),
    "NL": (("Den Haag", "Zuid-Holland", "2511"),),
    "BE": (("Liège", "Liège", "4000"),),
    "SE": (("Göteborg", "Västra Götaland", "411 01"), ("Malmö", "Skåne", "211 20")),
    "PL": (("Łódź", "łódzkie", "90-001"), ("Kraków", "małopolskie", "30-001")),
    "TR": (("İstanbul", "İstanbul", "34000"),),
    "JP": (("渋谷区", "東京都", "150-0002"), ("大阪市北区", "大阪府", "530-0001"), ("札幌市中央区", "北海道", "060-0001")),
}
DEFAULT_ADDRESSES = (("Capital City", "", "10001"),)
