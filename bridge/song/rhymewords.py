"""Common, singable English words that songs end lines on, grouped loosely by sound.

The rhyme book (``bridge.song.rhyme``) groups them exactly, by their CMU Pronouncing Dictionary
rhyme sound, keeps only the ones a model can spell and the clean filter lets through, and
offers them as line endings. Short words with a clear final vowel sing best.
"""

from __future__ import annotations

COMMON_RHYME_WORDS = """
day way say stay play away today pray gray may lay bay clay delay okay
night light bright sight fight might right flight tight white delight tonight kite bite
love above dove glove
heart part start apart art smart
fire desire higher tire choir
see me be free tree sea three key knee agree we
go know show slow snow glow flow low so grow below though ago
rain again pain train plain chain brain remain lane vain
name game came flame same fame frame blame
sing ring king spring thing wing bring string swing everything
song long strong along wrong belong
dear near hear year clear fear here appear cheer
more door shore floor before four core
sound ground round found around bound
down town crown gown brown
well tell bell fell shell spell
still will hill fill till thrill chill
all call fall ball wall hall small tall
blue true you new through do too knew grew
face place race grace space
side ride wide hide pride tide inside guide
mine shine line fine wine sign
old gold cold hold told bold
head said bed red bread spread
sweet feet street meet beat heat
sleep deep keep sheep weep
best rest west nest chest
hand land stand band sand grand understand
moon soon tune noon spoon
rose those close nose goes knows shows grows
mind find kind behind blind
sun run fun one done begun none won
far star car are
dream stream seem gleam
eyes skies rise sighs wise
air there where care hair fair chair bear share wear
boy joy toy
last past fast
back black track
make take wake lake shake break
smile while mile
ship trip
now how
leave believe
home roam foam
stone alone bone own known
together weather feather
mother brother other
river shiver
morning warning
water daughter
mountain fountain
singing ringing bringing
flying crying trying
falling calling
sky high fly cry why by goodbye try lie eye
time rhyme climb
morn born
"""


def common_words() -> list[str]:
    """The list above, in order, each word once."""
    return list(dict.fromkeys(COMMON_RHYME_WORDS.split()))
