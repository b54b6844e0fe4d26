"""Hand-written sample texts for the stand-in datasets (the real ones cannot be had offline)."""

from __future__ import annotations

# (sentence, label) like SST-2's validation split: 0 negative, 1 positive.
REVIEWS = [
    ("it 's a charming and often affecting journey .", 1),
    ("unflinchingly bleak and desperate", 0),
    ("the acting , costumes , music , cinematography and sound are all astounding .", 1),
    ("a sometimes tedious film .", 0),
    ("this is a film well worth seeing , talking and singing heads and all .", 1),
    ("the plot is nothing but boilerplate clichés from start to finish .", 0),
    ("a warm , funny , engaging film .", 1),
    ("it 's just disappointingly superficial -- a movie that has all the elements necessary to be a fascinating , involving character study , but never does more than scratch the surface .", 0),
    ("one of the most splendid entertainments of the year .", 1),
    ("too slow for a younger crowd , too shallow for an older one .", 0),
    ("a gorgeous , witty , seductive movie .", 1),
    ("the story is lame , the dialogue is worse .", 0),
    ("an utterly charming and hilarious film that reminded me of the best of the disney comedies .", 1),
    ("a dull , simple-minded and stereotypical tale of drugs , death and mind-numbing indifference .", 0),
    ("a moving and important film .", 1),
    ("it never rises above mediocrity .", 0),
]  # fmt: skip

# (text, label) like AG News: 0 World, 1 Sports, 2 Business, 3 Sci/Tech.
NEWS = [
    ("Leaders of twenty nations meet in Geneva to negotiate a ceasefire in the border conflict.", 0),
    ("Floods force thousands to leave their homes as the river bursts its banks in the south.", 0),
    ("The president names a new foreign minister after the cabinet resigns.", 0),
    ("Voters head to the polls in a closely fought parliamentary election.", 0),
    ("United Nations sends aid convoys to the earthquake-hit region.", 0),
    ("Protesters gather in the capital demanding the release of political prisoners.", 0),
    ("The striker scores twice as the home team wins the football match 3-1.", 1),
    ("Tennis champion advances to the final after a five-set thriller.", 1),
    ("The marathon runner breaks the world record in Berlin.", 1),
    ("Basketball playoffs: the underdogs force a decisive game seven.", 1),
    ("The cricket team collapses on the last day and loses the test series.", 1),
    ("Olympic swimmer wins her third gold medal of the games.", 1),
    ("Oil prices climb as supply worries weigh on markets.", 2),
    ("The central bank raises interest rates by a quarter point to curb inflation.", 2),
    ("Shares of the retailer fall after it cuts its profit forecast.", 2),
    ("The airline agrees to a merger that creates the largest carrier in Europe.", 2),
    ("Unemployment drops to its lowest level in a decade, the labour office says.", 2),
    ("The carmaker recalls half a million vehicles over faulty brakes.", 2),
    ("Scientists discover water ice in a crater near the moon's south pole.", 3),
    ("The software company releases a patch for a critical security flaw in its browser.", 3),
    ("A new chip doubles battery life in smartphones, the manufacturer says.", 3),
    ("Researchers train a computer program to recognise speech in noisy rooms.", 3),
    ("Space agency launches a probe to study the atmosphere of Mars.", 3),
    ("Hackers steal millions of passwords from an online retailer's servers.", 3),
]  # fmt: skip
