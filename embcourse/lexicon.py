"""The bilingual lexicon of the course's little world (data for chapters 3 to 7).

Plain tables, parsed once at import into tuples: nouns with gender and plural,
adjectives with their four French forms and position, verbs with their present
conjugation, past participle and auxiliary. The generator in
:mod:`embcourse.grammar` combines them into English-French sentence pairs.
"""

from __future__ import annotations

from typing import NamedTuple


class Noun(NamedTuple):
    """One noun: English and French forms, French gender, semantic class."""

    en: str
    en_pl: str  # "-" for a mass noun (singular only, partitive in French)
    fr: str
    fr_pl: str
    gender: str  # "m" or "f"
    cls: str


class Place(NamedTuple):
    """A place noun with its prepositions: where (en, fr) and where to (fr)."""

    en: str
    fr: str
    gender: str
    at_en: str  # "in", "at", "on"
    at_fr: str  # "dans", "à", "sur"
    to_fr: str  # preposition after aller/arriver: "à" or "dans"
    kind: str  # "nature" (animals go there too), "building", "room", "town"


class Adjective(NamedTuple):
    """An adjective: English, the four French forms, the form before a vowel."""

    en: str
    m: str
    f: str
    m_pl: str
    f_pl: str
    m_vowel: str  # masculine singular before a vowel ("bel", "vieil", "nouvel")
    pre: bool  # True: before the noun in French ("un petit chat")
    cls: str
    goes_with: tuple[str, ...]  # noun classes it may describe
    attributive: bool  # False: only after "is" ("prêt")


class Verb(NamedTuple):
    """A verb: English forms, French infinitive, present, participle, frame."""

    en: str
    en_3sg: str
    en_past: str
    fr: str
    present: tuple[str, ...]  # je, tu, il/elle, nous, vous, ils/elles
    participle: str
    aux: str  # "avoir" or "être"
    frame: str  # "tr", "intr", "give", "go", "come", "arrive", "leave", "enter", "fall", "stay"
    subjects: str  # "p" people only, "pa" people and animals
    objects: tuple[str, ...]  # noun classes (or words) allowed as object
    cls: str


PERSON_CLASSES = ("person", "family", "royalty", "job")

# (en_m, en_m_pl, fr_m, fr_m_pl, en_f, en_f_pl, fr_f, fr_f_pl, class)
_GENDERED = """
man men homme hommes woman women femme femmes person
boy boys garçon garçons girl girls fille filles person
father fathers père pères mother mothers mère mères family
brother brothers frère frères sister sisters sœur sœurs family
son sons fils fils daughter daughters fille filles family
uncle uncles oncle oncles aunt aunts tante tantes family
grandfather grandfathers grand-père grands-pères grandmother grandmothers grand-mère grands-mères family
husband husbands mari maris wife wives femme femmes family
nephew nephews neveu neveux niece nieces nièce nièces family
king kings roi rois queen queens reine reines royalty
prince princes prince princes princess princesses princesse princesses royalty
waiter waiters serveur serveurs waitress waitresses serveuse serveuses job
actor actors acteur acteurs actress actresses actrice actrices job
policeman policemen policier policiers policewoman policewomen policière policières job
bull bulls taureau taureaux cow cows vache vaches animal
rooster roosters coq coqs hen hens poule poules animal
lion lions lion lions lioness lionesses lionne lionnes animal
horse horses cheval chevaux mare mares jument juments animal
"""

# en en_pl fr fr_pl gender class   (en_pl "-" marks a mass noun)
_NOUNS = """
child children enfant enfants m person
baby babies bébé bébés m person
doctor doctors médecin médecins m job
cat cats chat chats m animal
dog dogs chien chiens m animal
bird birds oiseau oiseaux m animal
mouse mice souris souris f animal
rabbit rabbits lapin lapins m animal
duck ducks canard canards m animal
pig pigs cochon cochons m animal
goat goats chèvre chèvres f animal
frog frogs grenouille grenouilles f animal
bear bears ours ours m animal
wolf wolves loup loups m animal
fox foxes renard renards m animal
monkey monkeys singe singes m animal
elephant elephants éléphant éléphants m animal
tiger tigers tigre tigres m animal
owl owls hibou hiboux m animal
hamster hamsters hamster hamsters m animal
giraffe giraffes girafe girafes f animal
turtle turtles tortue tortues f animal
donkey donkeys âne ânes m animal
squirrel squirrels écureuil écureuils m animal
apple apples pomme pommes f food
pear pears poire poires f food
banana bananas banane bananes f food
orange oranges orange oranges f food
lemon lemons citron citrons m food
strawberry strawberries fraise fraises f food
cherry cherries cerise cerises f food
tomato tomatoes tomate tomates f food
carrot carrots carotte carottes f food
onion onions oignon oignons m food
egg eggs œuf œufs m food
cake cakes gâteau gâteaux m food
pie pies tarte tartes f food
sandwich sandwiches sandwich sandwichs m food
cookie cookies biscuit biscuits m food
pizza pizzas pizza pizzas f food
sausage sausages saucisse saucisses f food
peach peaches pêche pêches f food
bread - pain - m food
cheese - fromage - m food
soup - soupe - f food
rice - riz - m food
meat - viande - f food
butter - beurre - m food
jam - confiture - f food
chocolate - chocolat - m food
honey - miel - m food
fish - poisson - m food
water - eau - f drink
milk - lait - m drink
coffee - café - m drink
tea - thé - m drink
juice - jus - m drink
wine - vin - m drink
lemonade - limonade - f drink
car cars voiture voitures f vehicle
bus buses bus bus m vehicle
train trains train trains m vehicle
bike bikes vélo vélos m vehicle
boat boats bateau bateaux m vehicle
plane planes avion avions m vehicle
truck trucks camion camions m vehicle
taxi taxis taxi taxis m vehicle
motorbike motorbikes moto motos f vehicle
tractor tractors tracteur tracteurs m vehicle
helicopter helicopters hélicoptère hélicoptères m vehicle
hat hats chapeau chapeaux m clothing
shoe shoes chaussure chaussures f clothing
shirt shirts chemise chemises f clothing
dress dresses robe robes f clothing
coat coats manteau manteaux m clothing
scarf scarves écharpe écharpes f clothing
cup cups tasse tasses f tableware
glass glasses verre verres m tableware
plate plates assiette assiettes f tableware
knife knives couteau couteaux m tableware
spoon spoons cuillère cuillères f tableware
fork forks fourchette fourchettes f tableware
bowl bowls bol bols m tableware
chair chairs chaise chaises f furniture
table tables table tables f furniture
bed beds lit lits m furniture
lamp lamps lampe lampes f furniture
clock clocks horloge horloges f furniture
door doors porte portes f furniture
window windows fenêtre fenêtres f furniture
book books livre livres m object
ball balls ballon ballons m object
key keys clé clés f object
bag bags sac sacs m object
umbrella umbrellas parapluie parapluies m object
letter letters lettre lettres f object
newspaper newspapers journal journaux m object
phone phones téléphone téléphones m object
computer computers ordinateur ordinateurs m object
box boxes boîte boîtes f object
gift gifts cadeau cadeaux m object
toy toys jouet jouets m object
guitar guitars guitare guitares f object
pen pens stylo stylos m object
ticket tickets billet billets m object
flower flowers fleur fleurs f object
crown crowns couronne couronnes f object
sword swords épée épées f object
picture pictures tableau tableaux m object
"""

# en fr gender at_en at_fr to_fr kind
_PLACES = """
house maison f in dans à building
kitchen cuisine f in dans dans room
garden jardin m in dans dans nature
station gare f at à à building
market marché m at à à town
school école f at à à building
hotel hôtel m at à à building
hospital hôpital m at à à building
park parc m in dans à nature
beach plage f on sur à nature
forest forêt f in dans dans nature
river rivière f near près_de à nature
lake lac m near près_de à nature
sea mer f near près_de à nature
island île f on sur sur nature
farm ferme f on à à nature
library bibliothèque f at à à building
museum musée m at à à building
church église f in dans à building
bank banque f at à à building
restaurant restaurant m at à à building
shop magasin m in dans à building
castle château m in dans à building
palace palais m in dans à building
street rue f in dans dans town
village village m in dans à town
airport aéroport m at à à building
office bureau m at à à building
cinema cinéma m at à à building
theatre théâtre m at à à building
bakery boulangerie f at à à building
zoo zoo m at à à nature
mountain montagne f on sur à nature
"""

# en m f m_pl f_pl m_vowel pre|post class goes_with [pred]
_ADJECTIVES = """
black noir noire noirs noires - post colour animal,vehicle,clothing,object,furniture,tableware
white blanc blanche blancs blanches - post colour animal,vehicle,clothing,object,furniture,tableware
red rouge rouge rouges rouges - post colour vehicle,clothing,object,furniture,tableware
green vert verte verts vertes - post colour vehicle,clothing,object,furniture,tableware
blue bleu bleue bleus bleues - post colour vehicle,clothing,object,furniture,tableware
yellow jaune jaune jaunes jaunes - post colour vehicle,clothing,object,furniture,tableware
grey gris grise gris grises - post colour animal,vehicle,clothing,object,furniture,tableware
brown marron marron marron marron - post colour animal,vehicle,clothing,object,furniture,tableware
pink rose rose roses roses - post colour vehicle,clothing,object,furniture,tableware
purple violet violette violets violettes - post colour vehicle,clothing,object,furniture,tableware
small petit petite petits petites - pre size animal,vehicle,clothing,object,furniture,tableware,person,place
big grand grande grands grandes - pre size animal,vehicle,object,furniture,tableware,place
young jeune jeune jeunes jeunes - pre age person,family,royalty,job,animal
old vieux vieille vieux vieilles vieil pre age person,family,royalty,job,animal,vehicle,object,furniture,place,clothing
new nouveau nouvelle nouveaux nouvelles nouvel pre age vehicle,object,clothing,furniture,place
beautiful beau belle beaux belles bel pre quality person,royalty,animal,place,clothing,vehicle,object
pretty joli jolie jolis jolies - pre quality clothing,object,place,furniture,tableware
good bon bonne bons bonnes - pre taste food,drink
bad mauvais mauvaise mauvais mauvaises - pre taste food,drink
happy content contente contents contentes - post mood person,family,royalty,job
tired fatigué fatiguée fatigués fatiguées - post mood person,family,royalty,job,animal
sick malade malade malades malades - post mood person,family,royalty,job,animal
sad triste triste tristes tristes - post mood person,family,royalty,job
rich riche riche riches riches - post mood person,family,royalty,job
kind gentil gentille gentils gentilles - post character person,family,royalty,job,animal
smart intelligent intelligente intelligents intelligentes - post character person,family,royalty,job,animal
funny drôle drôle drôles drôles - post character person,family,royalty,job,animal
lazy paresseux paresseuse paresseux paresseuses - post character person,family,royalty,job,animal
brave courageux courageuse courageux courageuses - post character person,family,royalty,job
ready prêt prête prêts prêtes - post mood person,family,royalty,job pred
busy occupé occupée occupés occupées - post mood person,family,royalty,job pred
angry fâché fâchée fâchés fâchées - post mood person,family,royalty,job pred
fast rapide rapide rapides rapides - post speed vehicle,animal
slow lent lente lents lentes - post speed vehicle,animal
heavy lourd lourde lourds lourdes - post weight object,furniture,tableware
light léger légère légers légères - post weight object,furniture,tableware,clothing
expensive cher chère chers chères - post price vehicle,clothing,object,furniture
hot chaud chaude chauds chaudes - post temperature food,drink
cold froid froide froids froides - post temperature food,drink
fresh frais fraîche frais fraîches - post taste food,drink
delicious délicieux délicieuse délicieux délicieuses - post taste food,drink
sweet sucré sucrée sucrés sucrées - post taste food,drink
clean propre propre propres propres - post cleanliness clothing,tableware,vehicle,furniture,place
dirty sale sale sales sales - post cleanliness clothing,tableware,vehicle,furniture,place,animal
empty vide vide vides vides - post cleanliness tableware
noisy bruyant bruyante bruyants bruyantes - post sound place,vehicle
quiet calme calme calmes calmes - post sound place,animal
"""

# en en_3sg en_past | fr je tu il nous vous ils participle aux | frame subjects objects class
_VERBS = """
eat eats ate | manger mange manges mange mangeons mangez mangent mangé avoir | tr pa food | eating
drink drinks drank | boire bois bois boit buvons buvez boivent bu avoir | tr pa drink | eating
cook cooks cooked | préparer prépare prépares prépare préparons préparez préparent préparé avoir | tr p food | eating
buy buys bought | acheter achète achètes achète achetons achetez achètent acheté avoir | tr p food,object,clothing,car,bike,boat,truck,motorbike,tractor | exchange
sell sells sold | vendre vends vends vend vendons vendez vendent vendu avoir | tr p food,object,clothing,car,bike,boat,truck,motorbike,tractor | exchange
like likes liked | aimer aime aimes aime aimons aimez aiment aimé avoir | tr pa food,drink,animal,object,vehicle | liking
hate hates hated | détester déteste détestes déteste détestons détestez détestent détesté avoir | tr p food,drink,animal,vehicle | liking
want wants wanted | vouloir veux veux veut voulons voulez veulent voulu avoir | tr pa food,drink,object,clothing,vehicle | liking
see sees saw | voir vois vois voit voyons voyez voient vu avoir | tr pa person,family,royalty,job,animal,vehicle,object | perception
watch watches watched | regarder regarde regardes regarde regardons regardez regardent regardé avoir | tr pa person,family,royalty,job,animal,vehicle | perception
hear hears heard | entendre entends entends entend entendons entendez entendent entendu avoir | tr pa person,family,royalty,job,animal | perception
find finds found | trouver trouve trouves trouve trouvons trouvez trouvent trouvé avoir | tr pa object,clothing,tableware,animal | handling
take takes took | prendre prends prends prend prenons prenez prennent pris avoir | tr p object,clothing,tableware,food | handling
carry carries carried | porter porte portes porte portons portez portent porté avoir | tr p object,tableware,furniture,food | handling
wash washes washed | laver lave laves lave lavons lavez lavent lavé avoir | tr p vehicle,tableware,clothing,animal | handling
open opens opened | ouvrir ouvre ouvres ouvre ouvrons ouvrez ouvrent ouvert avoir | tr p box,bag,letter,book,door,window,gift | handling
write writes wrote | écrire écris écris écrit écrivons écrivez écrivent écrit avoir | tr p letter,book | handling
wipe wipes wiped | essuyer essuie essuies essuie essuyons essuyez essuient essuyé avoir | tr p furniture,tableware | handling
drive drives drove | conduire conduis conduis conduit conduisons conduisez conduisent conduit avoir | tr p car,bus,truck,taxi,tractor,train | travel
help helps helped | aider aide aides aide aidons aidez aident aidé avoir | tr p person,family,royalty,job | social
meet meets met | rencontrer rencontre rencontres rencontre rencontrons rencontrez rencontrent rencontré avoir | tr p person,family,royalty,job | social
follow follows followed | suivre suis suis suit suivons suivez suivent suivi avoir | tr pa person,family,royalty,job,animal | social
visit visits visited | visiter visite visites visite visitons visitez visitent visité avoir | tr p place | travel
give gives gave | donner donne donnes donne donnons donnez donnent donné avoir | give p food,object,flower,toy | giving
show shows showed | montrer montre montres montre montrons montrez montrent montré avoir | give p object,clothing,animal | giving
send sends sent | envoyer envoie envoies envoie envoyons envoyez envoient envoyé avoir | give p letter,gift,book,flower,picture | giving
bring brings brought | apporter apporte apportes apporte apportons apportez apportent apporté avoir | give p food,drink,object,tableware | giving
sleep sleeps slept | dormir dors dors dort dormons dormez dorment dormi avoir | intr pa - | rest
sing sings sang | chanter chante chantes chante chantons chantez chantent chanté avoir | intr p - | leisure
dance dances danced | danser danse danses danse dansons dansez dansent dansé avoir | intr p - | leisure
play plays played | jouer joue joues joue jouons jouez jouent joué avoir | intr pa - | leisure
laugh laughs laughed | rire ris ris rit rions riez rient ri avoir | intr p - | leisure
cry cries cried | pleurer pleure pleures pleure pleurons pleurez pleurent pleuré avoir | intr p - | rest
work works worked | travailler travaille travailles travaille travaillons travaillez travaillent travaillé avoir | intr p - | rest
wait waits waited | attendre attends attends attend attendons attendez attendent attendu avoir | intr p - | rest
run runs ran | courir cours cours court courons courez courent couru avoir | intr pa - | motion
swim swims swam | nager nage nages nage nageons nagez nagent nagé avoir | intr pa - | motion
walk walks walked | marcher marche marches marche marchons marchez marchent marché avoir | intr pa - | motion
go goes went | aller vais vas va allons allez vont allé être | go pa - | motion
come comes came | venir viens viens vient venons venez viennent venu être | come pa - | motion
arrive arrives arrived | arriver arrive arrives arrive arrivons arrivez arrivent arrivé être | arrive p - | motion
leave leaves left | partir pars pars part partons partez partent parti être | leave pa - | motion
return returns returned | retourner retourne retournes retourne retournons retournez retournent retourné être | arrive p - | motion
enter enters entered | entrer entre entres entre entrons entrez entrent entré être | enter pa - | motion
fall falls fell | tomber tombe tombes tombe tombons tombez tombent tombé être | fall pa - | motion
stay stays stayed | rester reste restes reste restons restez restent resté être | stay pa - | motion
"""

# English subject pronoun -> (French, person index 0..5, English verb agreement)
PRONOUNS = {"i": ("je", 0), "you": ("tu", 1), "he": ("il", 2), "she": ("elle", 2),
            "we": ("nous", 3), "they": ("ils", 5)}
PRONOUN_GENDER = {"i": "m", "you": "m", "he": "m", "she": "f", "we": "m", "they": "m"}

# possessive determiner: English -> (French m sg, f sg, plural)
POSSESSIVES = {"my": ("mon", "ma", "mes"), "your": ("ton", "ta", "tes"),
               "his": ("son", "sa", "ses"), "her": ("son", "sa", "ses"),
               "our": ("notre", "notre", "nos"), "their": ("leur", "leur", "leurs")}

NUMBERS = (("two", "deux"), ("three", "trois"), ("four", "quatre"), ("five", "cinq"),
           ("six", "six"), ("seven", "sept"), ("eight", "huit"), ("nine", "neuf"),
           ("ten", "dix"))

AVOIR = ("ai", "as", "a", "avons", "avez", "ont")
ETRE = ("suis", "es", "est", "sommes", "êtes", "sont")
ALLER = ("vais", "vas", "va", "allons", "allez", "vont")

# French words starting with a vowel letter or mute h that do NOT elide (h aspiré)
H_ASPIRE = frozenset({"hibou", "hiboux", "hamster", "hamsters", "huit", "héros", "haricot"})


def _gendered() -> list[tuple[Noun, Noun]]:
    pairs = []
    for line in _GENDERED.strip().splitlines():
        f = line.split()
        pairs.append((Noun(f[0], f[1], f[2], f[3], "m", f[8]),
                      Noun(f[4], f[5], f[6], f[7], "f", f[8])))
    return pairs


def _nouns() -> list[Noun]:
    nouns = [n for pair in GENDERED_PAIRS for n in pair]
    for line in _NOUNS.strip().splitlines():
        nouns.append(Noun(*line.split()))
    return nouns


def _places() -> list[Place]:
    out = []
    for line in _PLACES.strip().splitlines():
        f = line.split()
        out.append(Place(f[0], f[1], f[2], f[3], f[4].replace("_", " "), f[5], f[6]))
    return out


def _adjectives() -> list[Adjective]:
    out = []
    for line in _ADJECTIVES.strip().splitlines():
        f = line.split()
        out.append(Adjective(f[0], f[1], f[2], f[3], f[4], f[1] if f[5] == "-" else f[5],
                             f[6] == "pre", f[7], tuple(f[8].split(",")),
                             len(f) < 10))
    return out


def _verbs() -> list[Verb]:
    out = []
    for line in _VERBS.strip().splitlines():
        en, fr, frame, cls = (part.split() for part in line.split("|"))
        objects = () if frame[2] == "-" else tuple(frame[2].split(","))
        out.append(Verb(en[0], en[1], en[2], fr[0], tuple(fr[1:7]), fr[7], fr[8],
                        frame[0], frame[1], objects, cls[0]))
    return out


GENDERED_PAIRS: list[tuple[Noun, Noun]] = _gendered()
NOUNS: list[Noun] = _nouns()
PLACES: list[Place] = _places()
ADJECTIVES: list[Adjective] = _adjectives()
VERBS: list[Verb] = _verbs()

