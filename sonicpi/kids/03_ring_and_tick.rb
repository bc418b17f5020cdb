# Lesson 3: A ring of notes and tick
#
# A ring is a list that goes round in a circle, like a necklace.
# When you get to the end, it starts again at the beginning.
# `tick` moves one step along the ring every time you use it.
# So every syllable gets the next note from the ring.
# If a new line comes while we are still playing, we miss it. That's OK!

live_loop :necklace do
  use_real_time
  lyric = sync "/osc*/lyricbridge/line"
  use_bpm lyric[1]
  notes = ring(:e4, :g4, :a4, :b4, :d5)   # five notes that sound good together
  lyric[3].times do                       # once for every syllable
    play notes.tick                       # the next note in the ring
    sleep 0.5
  end
end

# Try this:
#  * Put the notes in a different order, like ring(:b4, :e4, :d5, :g4, :a4)
#  * Use .look instead of .tick. What happens? (look does not move on!)
#  * Add a note to the ring, like :e5
