#!/usr/bin/env python3
"""Generates MLOps.Web/SampleData/posts.jsonl: original, templated short posts.

Seasonal hashtags rise and fall over the file (the file starts and ends in December, so the
replay source shows #christmas trending within seconds of start and the trend moves as it plays),
mixed with an evergreen tag at a steady rate all year (#love, about 10% of posts: first by count,
never a burst), everyday noise tags, stop-listed tags (#fyp) and posts without any tag. Rarer
spellings of a season (#Noël, #クリスマス, #Mundial, ...) usually come with its main form in the same
post, as people write them, which is what the co-occurrence rule of topics sees. Deterministic:
the same seed gives the same file. Usage: python3 scripts/generate-sample-posts.py [count]
"""
import json
import math
import os
import random
import sys

SEED = 20261124
COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
OUT = os.path.join(os.path.dirname(__file__), "..", "MLOps.Web", "SampleData", "posts.jsonl")

# (name, centre in [0,1) of the file, width, peak weight, [(display form, weight)], sentences)
SEASONS = [
    ("christmas", 0.00, 0.07, 9.0,
     [("Christmas", 6), ("christmas", 3), ("ChristmasMovies", 4), ("CHRISTMAS", 1), ("Noël", 1), ("クリスマス", 1), ("xmas", 2)],
     ["Wrapping presents while {film} plays in the background {tag}",
      "Who else watches {film} every year? {tag}",
      "The tree is up and the cocoa is hot {tag} {emoji}",
      "Counting down the sleeps {tag}!",
      "Best holiday film ever made: {film}. Fight me. {tag}",
      "Snow outside, lights inside, {tag} mood all day"]),
    ("newyear", 0.10, 0.03, 4.0,
     [("NewYear", 4), ("NewYearsEve", 2), ("HappyNewYear", 3)],
     ["Resolutions: read more, scroll less {tag}",
      "Fireworks from the balcony {tag} {emoji}",
      "Ten, nine, eight... {tag}"]),
    ("valentinesday", 0.19, 0.03, 4.0,
     [("ValentinesDay", 5), ("valentines", 2)],
     ["Rom-com marathon tonight, starting with {film} {tag}",
      "Roses are red, tickets are sold out {tag}"]),
    ("oscars", 0.26, 0.03, 5.0,
     [("Oscars", 6), ("oscars", 2), ("Oscars2026", 2), ("AcademyAwards", 2)],
     ["My ballot says {film} takes best picture {tag}",
      "That acceptance speech though {tag} {emoji}",
      "Red carpet looks are unreal tonight {tag}"]),
    ("easter", 0.36, 0.03, 3.0,
     [("Easter", 4), ("EasterEggHunt", 2)],
     ["The kids found every egg in ten minutes {tag}",
      "Chocolate for breakfast is tradition {tag}"]),
    ("worldcup", 0.52, 0.06, 7.0,
     [("WorldCup", 6), ("worldcup", 3), ("WorldCup2026", 2), ("Mundial", 1), ("CopaDoMundo", 1)],
     ["What a goal in the {minute}th minute! {tag}",
      "Penalties again, my heart cannot take this {tag} {emoji}",
      "Group stage done, bracket busted {tag}",
      "Watching the match with the whole street {tag}"]),
    ("backtoschool", 0.64, 0.03, 3.0,
     [("BackToSchool", 4)],
     ["New pencils, new notebooks, same bus {tag}",
      "First day photos are in {tag}"]),
    ("halloween", 0.79, 0.05, 8.0,
     [("Halloween", 6), ("halloween", 3), ("HalloweenMovies", 3), ("HALLOWEEN", 1), ("spooky_season", 2)],
     ["Carving pumpkins and rewatching {horror} {tag}",
      "Costume reveal tomorrow {tag} {emoji}",
      "Is {horror} too scary for a ten-year-old? asking for a friend {tag}",
      "Candy count: 214 pieces {tag}"]),
    ("thanksgiving", 0.87, 0.025, 5.0,
     [("Thanksgiving", 6), ("thanksgiving", 2), ("Friendsgiving", 2)],
     ["Grateful for good food and louder relatives {tag}",
      "Pie before turkey is a valid choice {tag}"]),
    ("blackfriday", 0.90, 0.015, 4.0,
     [("BlackFriday", 5), ("CyberMonday", 2)],
     ["Queued at 5am for a toaster {tag}",
      "My cart has 43 items and I need none of them {tag}"]),
]

# Rarer spellings and the chance that a post with one also carries the season's main form.
COMPANION = {"Noël": 0.9, "クリスマス": 0.9, "xmas": 0.9, "NewYearsEve": 0.9, "AcademyAwards": 0.9,
             "Mundial": 0.9, "CopaDoMundo": 0.9, "spooky_season": 0.9, "Friendsgiving": 0.9, "CyberMonday": 0.9}

EVERGREEN_RATE = 0.09
EVERGREEN_SENTENCES = [
    "Sunday lunch with the whole family {tag}",
    "My grandmother's handwriting on an old recipe card {tag}",
    "Sunset from the balcony tonight {tag}",
    "Ten years married today {tag} {emoji}",
    "The kids made breakfast. The kitchen is a disaster {tag}",
]

NOISE = [("coffee", 3), ("MondayMotivation", 2), ("tbt", 2), ("photography", 2), ("nofilter", 1),
         ("dogsofinstagram", 2), ("running", 1), ("recipe", 1), ("gaming", 2), ("bookclub", 1),
         ("fyp", 3), ("foryou", 1), ("viral", 1)]
NOISE_SENTENCES = [
    "Morning run done before sunrise {tag}",
    "This latte art is getting better {tag} {emoji}",
    "Reading three books at once, finishing none {tag}",
    "Found an old photo of my first car {tag}",
    "Dog refused the walk because of light drizzle {tag}",
    "New high score after six hours {tag}",
    "Soup weather is here {tag}",
]
PLAIN = [
    "Just finished work, time for a nap.",
    "Anyone else's wifi acting up today?",
    "Trying a new recipe tonight, wish me luck.",
    "The bus was on time. Miracles happen.",
    "Number 1 rule of weekends: no alarms. #1",
    "Notes from the meetup are at https://example.org/notes#section-2 for anyone who missed it.",
    "Price went up by 15% #2026 again",
    "Rainy day, good playlist, cold tea.",
]
FILMS = ["Home Alone", "Elf", "Love Actually", "The Holiday", "Die Hard", "Klaus", "Arthur Christmas"]
HORROR = ["Hocus Pocus", "Halloween", "Coraline", "Beetlejuice", "Scream"]
EMOJI = ["🎄", "🎃", "⚽", "🎉", "❤️", "☕", "🔥", "😂", ""]


def weighted(rng, pairs):
    total = sum(w for _, w in pairs)
    x = rng.uniform(0, total)
    for value, w in pairs:
        x -= w
        if x <= 0:
            return value
    return pairs[-1][0]


def season_weight(season, pos):
    _, centre, width, peak, _, _ = season
    d = min(abs(pos - centre), 1 - abs(pos - centre))  # the file loops: distance on a circle
    return peak * math.exp(-0.5 * (d / width) ** 2)


def render(rng, template, tag):
    return template.format(tag=tag, film=rng.choice(FILMS), horror=rng.choice(HORROR),
                           minute=rng.randint(1, 90), emoji=rng.choice(EMOJI)).strip()


def main():
    rng = random.Random(SEED)
    lines = []
    for i in range(COUNT):
        pos = i / COUNT
        roll = rng.random()
        if roll < EVERGREEN_RATE:
            lines.append({"text": render(rng, rng.choice(EVERGREEN_SENTENCES), "#love")})
            continue
        if roll < EVERGREEN_RATE + 0.12:
            lines.append({"text": rng.choice(PLAIN)})
            continue
        weights = [(s, season_weight(s, pos)) for s in SEASONS] + [(None, 1.6)]
        season = weighted(rng, weights)
        if season is None:
            form = weighted(rng, NOISE)
            lines.append({"text": render(rng, rng.choice(NOISE_SENTENCES), "#" + form)})
            continue
        form = weighted(rng, season[4])
        tag = "#" + form
        if rng.random() < 0.06:
            tag += rng.choice(["!", "!!", ".", ",", "?"])
        text = render(rng, rng.choice(season[5]), tag)
        forms = [form]
        if form in COMPANION and rng.random() < COMPANION[form]:
            forms.append(season[4][0][0])
            text += " #" + season[4][0][0]
        if rng.random() < 0.15:
            text += " #" + weighted(rng, NOISE)
        post = {"text": text}
        if rng.random() < 0.08:
            # Some producers send the hashtags they already extracted, like X's entities.
            post["hashtags"] = forms
        lines.append(post)
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        for post in lines:
            f.write(json.dumps(post, ensure_ascii=False) + "\n")
    print(f"wrote {len(lines)} posts to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
